import { readdir, readFile, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
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
export const POLICY_FILE_SUFFIX = '.cedar';

// Fatal: a policy file with bytes that are not UTF-8 would otherwise be hashed with U+FFFD in it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a policies folder: `surfaces.json`, `schema.cedarschema` if present, and every
 * `<surface>/*.cedar`. Nothing else (READMEs, cases) is part of the policy set or its digest.
 * The only place the policy core touches the disk; {@link compilePolicySet} takes the result.
 *
 * @throws PolicyError `POLICY_UNAVAILABLE` when the folder or a file cannot be read,
 *   `POLICY_INVALID` when a file is not UTF-8.
 * @example
 * const set = compilePolicySet(await readPolicyDir('policies'));
 */
export async function readPolicyDir(dir: string): Promise<PolicyFile[]> {
  const entries = await list(dir, '.');
  const files: PolicyFile[] = [await readPolicyFile(dir, SURFACES_FILE)];
  // Symlinks count as what they point to: a linked policy file skipped in silence would drop its forbids.
  if (entries.some((entry) => entry.name === SCHEMA_FILE && !entry.isDirectory())) {
    files.push(await readPolicyFile(dir, SCHEMA_FILE));
  }
  for (const entry of entries) {
    // Hidden folders are editor and VCS state, never surfaces.
    if (entry.name.startsWith('.') || !(await isDirectory(dir, entry))) continue;
    for (const child of await list(dir, entry.name)) {
      if (child.name.endsWith(POLICY_FILE_SUFFIX) && !child.isDirectory()) {
        files.push(await readPolicyFile(dir, `${entry.name}/${child.name}`));
      }
    }
  }
  // Code-unit order, not locale order, so every machine lists the same files the same way.
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return (await stat(join(dir, entry.name))).isDirectory();
  } catch (error) {
    throw unavailable(dir, entry.name, error);
  }
}

async function list(dir: string, relative: string) {
  try {
    return await readdir(join(dir, relative), { withFileTypes: true });
  } catch (error) {
    throw unavailable(dir, relative, error);
  }
}

async function readPolicyFile(dir: string, path: string): Promise<PolicyFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, ...path.split('/')));
  } catch (error) {
    throw unavailable(dir, path, error);
  }
  try {
    return { path, text: utf8.decode(bytes) };
  } catch (error) {
    throw new PolicyError('POLICY_INVALID', `${path}: not UTF-8 text`, { dir, file: path }, { cause: error });
  }
}

function unavailable(dir: string, path: string, error: unknown): PolicyError {
  const reason = (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
  const what = path === '.' ? `policies folder ${dir}` : `${path} in ${dir}`;
  return new PolicyError('POLICY_UNAVAILABLE', `cannot read ${what} (${reason})`, { dir, file: path }, { cause: error });
}
