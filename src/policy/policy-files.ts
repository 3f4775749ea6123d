import { constants, type Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyError } from './policy-error.js';
import { SURFACES_FILE } from './surface-registry.js';

/** One file of a policy set, as the pure core sees it: no file system behind it. */
export interface PolicyFile {
  /** Relative to the policies folder, with `/` separators: `surfaces.json`, `payments/limits.cedar`. */
  path: string;
  text: string;
}

export const SCHEMA_FILE = 'schema.cedarschema';
/** Who may act: the principals the policies know, with their attributes. Optional, top level. */
export const PRINCIPALS_FILE = 'principals.json';
/** What may be acted on: the targets the policies know, with their attributes. Optional, top level. */
export const TARGETS_FILE = 'targets.json';
export const POLICY_FILE_SUFFIX = '.cedar';

/** The top-level files read when present (surfaces.json is read always). */
const OPTIONAL_TOP_LEVEL_FILES: ReadonlySet<string> = new Set([SCHEMA_FILE, PRINCIPALS_FILE, TARGETS_FILE]);

// Fatal: a policy file with bytes that are not UTF-8 would otherwise be hashed with U+FFFD in it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

// A FIFO opened without it returns only when a writer comes; with it, at once. Windows has none.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a folder entry is; a symlink counts as what it points to (`missing` when it points nowhere). */
type EntryKind = 'file' | 'directory' | 'missing' | SpecialKind;
type SpecialKind = 'a FIFO' | 'a socket' | 'a character device' | 'a block device';

/** Device and inode of every folder walked, so a symlink loop is walked once. */
type Seen = Set<string>;

/**
 * Reads a policies folder: `surfaces.json`; `schema.cedarschema`, `principals.json` and
 * `targets.json` if present; and every `<surface>/*.cedar`. Nothing else (READMEs, cases) is
 * part of the policy set or its digest. The only place the policy core touches the disk;
 * {@link compilePolicySet} takes the result.
 *
 * No `.cedar` file is skipped in silence: one at the top level, nested below a surface folder
 * or inside a hidden folder is an error, since an author who put a forbid there expects it to
 * hold. Nothing but regular files is opened: a FIFO (which would block the reader forever), a
 * socket or a device where a policy file is read or named like one is an error too.
 *
 * @throws PolicyError `POLICY_UNAVAILABLE` when the folder or a file cannot be read,
 *   `POLICY_INVALID` when a file is not UTF-8, a `.cedar` file is where it is not loaded, or a
 *   file to read is not a regular file.
 * @example
 * const set = compilePolicySet(await readPolicyDir('policies'));
 */
export async function readPolicyDir(dir: string): Promise<PolicyFile[]> {
  const seen: Seen = new Set();
  await firstVisit(dir, '.', seen);
  const entries = await list(dir, '.');
  const files: PolicyFile[] = [];
  if (!entries.some((entry) => entry.name === SURFACES_FILE)) {
    files.push(await readPolicyFile(dir, SURFACES_FILE)); // fails, naming the missing file
  }
  for (const entry of entries) {
    const path = entry.name;
    // Hidden entries are editor and VCS state, never surfaces: a broken link there is no concern.
    const hidden = entry.name.startsWith('.');
    const kind = await kindOf(dir, path, entry, !hidden || isPolicyName(entry.name));
    if (kind === 'directory' && entry.name !== SURFACES_FILE) {
      if (hidden) await refuseUnloaded(dir, path, seen);
      else files.push(...(await readSurfaceDir(dir, path, seen)));
    } else if (entry.name === SURFACES_FILE || OPTIONAL_TOP_LEVEL_FILES.has(entry.name)) {
      files.push(await readPolicyFile(dir, path, kind));
    } else if (isPolicyName(entry.name)) {
      throw notLoaded(dir, path, kind);
    }
  }
  // Code-unit order, not locale order, so every machine lists the same files the same way.
  return files.sort((a, b) => compare(a.path, b.path));
}

/** `<surface>/*.cedar`; any folder inside is walked for `.cedar` files that would not be loaded. */
async function readSurfaceDir(dir: string, surface: string, seen: Seen): Promise<PolicyFile[]> {
  const files: PolicyFile[] = [];
  await firstVisit(dir, surface, seen);
  for (const entry of await list(dir, surface)) {
    const path = `${surface}/${entry.name}`;
    const kind = await kindOf(dir, path, entry, isPolicyName(entry.name));
    if (kind === 'directory') await refuseUnloaded(dir, path, seen);
    else if (isPolicyName(entry.name)) files.push(await readPolicyFile(dir, path, kind));
  }
  return files;
}

/** Walks a folder whose files are never loaded and fails at the first `.cedar` file in it. */
async function refuseUnloaded(dir: string, folder: string, seen: Seen): Promise<void> {
  if (!(await firstVisit(dir, folder, seen))) return;
  for (const entry of await list(dir, folder)) {
    const path = `${folder}/${entry.name}`;
    const kind = await kindOf(dir, path, entry, isPolicyName(entry.name));
    if (kind === 'directory') await refuseUnloaded(dir, path, seen);
    else if (isPolicyName(entry.name)) throw notLoaded(dir, path, kind);
  }
}

function isPolicyName(name: string): boolean {
  return name.endsWith(POLICY_FILE_SUFFIX);
}

/**
 * What `entry` is, without opening it. A symlink is followed with stat(); when it points nowhere
 * that is POLICY_UNAVAILABLE if `strict` (the entry matters), else `missing`.
 */
async function kindOf(dir: string, path: string, entry: Dirent, strict: boolean): Promise<EntryKind> {
  if (!entry.isSymbolicLink()) return kindOfStats(entry);
  try {
    return kindOfStats(await stat(join(dir, ...path.split('/'))));
  } catch (error) {
    if (strict) throw unavailable(dir, path, error);
    return 'missing';
  }
}

function kindOfStats(stats: Pick<Dirent, 'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): EntryKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'missing';
}

function isSpecial(kind: EntryKind): kind is SpecialKind {
  return kind !== 'file' && kind !== 'directory' && kind !== 'missing';
}

/** True the first time a folder (by device and inode) is visited. */
async function firstVisit(dir: string, folder: string, seen: Seen): Promise<boolean> {
  let id: string;
  try {
    const stats = await stat(join(dir, ...folder.split('/')));
    id = `${stats.dev}:${stats.ino}`;
  } catch (error) {
    throw unavailable(dir, folder, error);
  }
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

async function list(dir: string, relative: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(dir, ...relative.split('/')), { withFileTypes: true });
  } catch (error) {
    throw unavailable(dir, relative, error);
  }
  // Sorted, so that of several problems the same one is reported on every machine.
  return entries.sort((a, b) => compare(a.name, b.name));
}

/** Reads one file; `kind`, when the caller knows it, refuses a special file before it is opened. */
async function readPolicyFile(dir: string, path: string, kind?: EntryKind): Promise<PolicyFile> {
  if (kind !== undefined && isSpecial(kind)) throw notRegular(dir, path, kind);
  let bytes: Uint8Array;
  try {
    const handle = await open(join(dir, ...path.split('/')), OPEN_FLAGS);
    try {
      // Checked again on the open file: it may have been swapped for a FIFO since it was listed.
      const opened = kindOfStats(await handle.stat());
      if (isSpecial(opened)) throw notRegular(dir, path, opened);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw unavailable(dir, path, error);
  }
  try {
    return { path, text: utf8.decode(bytes) };
  } catch (error) {
    throw new PolicyError('POLICY_INVALID', `${path}: not UTF-8 text`, { dir, file: path }, { cause: error });
  }
}

function notLoaded(dir: string, path: string, kind: EntryKind): PolicyError {
  if (isSpecial(kind)) return notRegular(dir, path, kind);
  const folders = path.split('/').slice(0, -1);
  const where =
    folders.length === 0
      ? 'a policy file at the top level'
      : folders.some((folder) => folder.startsWith('.'))
        ? 'a policy file inside a hidden folder'
        : 'a policy file nested below a surface folder';
  return new PolicyError(
    'POLICY_INVALID',
    `${path}: ${where} is not loaded: policy files live in <surface>/*${POLICY_FILE_SUFFIX}`,
    { dir, file: path },
  );
}

function notRegular(dir: string, path: string, kind: SpecialKind): PolicyError {
  return new PolicyError('POLICY_INVALID', `${path}: not a regular file (${kind})`, { dir, file: path });
}

function unavailable(dir: string, path: string, error: unknown): PolicyError {
  const reason = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
  const what = path === '.' ? `policies folder ${dir}` : `${path} in ${dir}`;
  return new PolicyError('POLICY_UNAVAILABLE', `cannot read ${what} (${reason})`, { dir, file: path }, { cause: error });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
