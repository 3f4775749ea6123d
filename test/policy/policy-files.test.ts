import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/policy-error.js';
import { PRINCIPALS_FILE, SCHEMA_FILE, TARGETS_FILE, readPolicyDir } from '../../src/policy/policy-files.js';
import { POLICIES_DIR } from '../support/paths.js';
import { tempDir } from '../support/temp-dir.js';

async function tempPolicies(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempDir('actiongate-policies-');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<PolicyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  return error as PolicyError;
}

describe('readPolicyDir', () => {
  describe('when reading the sample policies', () => {
    it('returns surfaces.json, the schema, principals, targets and every policy file, sorted by posix path, and nothing else', async () => {
      const paths = (await readPolicyDir(POLICIES_DIR)).map((file) => file.path);
      expect(paths).toEqual([
        'config-changes/guards.cedar',
        'config-changes/permit.cedar',
        'customer-messages/guards.cedar',
        'customer-messages/permit.cedar',
        'data-exports/guards.cedar',
        'data-exports/permit.cedar',
        'payments/guards.cedar',
        'payments/permit.cedar',
        'principals.json',
        'schema.cedarschema',
        'surfaces.json',
        'targets.json',
      ]);
    });
  });

  describe('when a schema, READMEs, hidden folders and nested folders are present', () => {
    it('reads the schema and skips the rest', async () => {
      const dir = await tempPolicies({
        'surfaces.json': '{}',
        'schema.cedarschema': 'namespace ActionGate {}',
        'README.md': '#',
        'b/z.cedar': '',
        'b/a.cedar': '',
        'b/README.md': '#',
        'b/cases.json': '{}',
        'b/old/notes.md': '#',
        '.git/HEAD': 'ref: refs/heads/main',
      });
      expect((await readPolicyDir(dir)).map((file) => file.path)).toEqual([
        'b/a.cedar',
        'b/z.cedar',
        'schema.cedarschema',
        'surfaces.json',
      ]);
    });
  });

  describe('when principals.json and targets.json are present', () => {
    it('reads them as part of the policy set', async () => {
      const dir = await tempPolicies({
        'surfaces.json': '{}',
        [PRINCIPALS_FILE]: '{"version":1,"principals":{}}',
        [TARGETS_FILE]: '{"version":1,"targets":{}}',
        'b/a.cedar': '',
        'b/principals.json': '{}',
      });
      const files = await readPolicyDir(dir);
      expect(files.map((file) => file.path)).toEqual(['b/a.cedar', 'principals.json', 'surfaces.json', 'targets.json']);
      expect(files.find((file) => file.path === TARGETS_FILE)?.text).toBe('{"version":1,"targets":{}}');
    });

    it('reads neither when absent, and does not require the schema', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'b/a.cedar': '' });
      expect((await readPolicyDir(dir)).map((file) => file.path)).toEqual(['b/a.cedar', 'surfaces.json']);
    });
  });

  describe('when a .cedar file is where it would not be loaded', () => {
    it.each([
      ['at the top level', 'x.cedar'],
      ['nested below a surface folder', 'payments/old/x.cedar'],
      ['deeper still', 'payments/old/older/x.cedar'],
      ['inside a hidden folder', '.git/y.cedar'],
      ['inside a hidden folder in a surface', 'payments/.old/x.cedar'],
      ['hidden at the top level', '.x.cedar'],
    ])('is POLICY_INVALID naming it (%s)', async (_label, path) => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '', [path]: 'forbid (principal, action, resource);' });
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe(path);
      expect(error.message).toContain(`${path}: `);
    });

    it('is POLICY_INVALID when a symlinked folder puts one there', async () => {
      const shared = await tempPolicies({ 'x.cedar': '' });
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '' });
      await symlink(shared, join(dir, 'payments', 'old'));
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('payments/old/x.cedar');
    });

    it('walks a symlink loop once instead of forever', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '', 'payments/old/notes.md': '#' });
      await symlink(join(dir, 'payments'), join(dir, 'payments', 'old', 'loop'));
      await symlink(dir, join(dir, 'payments', 'root'));
      // Both links lead back to folders already walked: the files there are the ones loaded.
      expect((await readPolicyDir(dir)).map((file) => file.path)).toEqual(['payments/a.cedar', 'surfaces.json']);
    });
  });

  describe('when a file to read, or one named like a policy file, is not a regular file', () => {
    it.each([
      ['payments/a.cedar'],
      ['surfaces.json'],
      [SCHEMA_FILE],
      [PRINCIPALS_FILE],
      [TARGETS_FILE],
      ['x.cedar'],
      ['payments/old/x.cedar'],
      ['.git/x.cedar'],
    ])('refuses a FIFO at %s without opening it', async (path) => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/guards.cedar': '', 'payments/old/README.md': '#' });
      await rm(join(dir, path), { force: true });
      await mkdir(join(dir, path, '..'), { recursive: true });
      execFileSync('mkfifo', [join(dir, path)]);
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe(path);
      expect(error.message).toBe(`${path}: not a regular file (a FIFO)`);
    }, 5_000);

    it('refuses a symlink to a FIFO', async () => {
      const elsewhere = await tempDir('actiongate-fifo-');
      execFileSync('mkfifo', [join(elsewhere, 'pipe')]);
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '' });
      await symlink(join(elsewhere, 'pipe'), join(dir, 'payments', 'guards.cedar'));
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.message).toBe('payments/guards.cedar: not a regular file (a FIFO)');
    }, 5_000);

    it('refuses a symlink to a character device', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '' });
      await symlink('/dev/null', join(dir, 'payments', 'guards.cedar'));
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.message).toBe('payments/guards.cedar: not a regular file (a character device)');
    });

    it('ignores a FIFO it would neither read nor load', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': '' });
      execFileSync('mkfifo', [join(dir, 'payments', 'README.md')]);
      execFileSync('mkfifo', [join(dir, 'notes')]);
      expect((await readPolicyDir(dir)).map((file) => file.path)).toEqual(['payments/a.cedar', 'surfaces.json']);
    }, 5_000);
  });

  describe('when a policy file or a surface folder is a symlink', () => {
    it('reads what it points to, so no forbid goes missing', async () => {
      const shared = await tempPolicies({ 'guards.cedar': 'forbid (principal, action, resource);', 'x/a.cedar': '' });
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'b/local.cedar': '' });
      await symlink(join(shared, 'guards.cedar'), join(dir, 'b', 'guards.cedar'));
      await symlink(join(shared, 'x'), join(dir, 'linked'));
      const files = await readPolicyDir(dir);
      expect(files.map((file) => file.path)).toEqual(['b/guards.cedar', 'b/local.cedar', 'linked/a.cedar', 'surfaces.json']);
      expect(files[0]?.text).toBe('forbid (principal, action, resource);');
    });
  });

  describe('when a symlink is broken', () => {
    it('is POLICY_UNAVAILABLE rather than skipped', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'b/local.cedar': '' });
      await symlink(join(dir, 'nowhere.cedar'), join(dir, 'b', 'guards.cedar'));
      expect((await rejection(readPolicyDir(dir))).code).toBe('POLICY_UNAVAILABLE');
    });
  });

  describe('when the folder does not exist', () => {
    it('is POLICY_UNAVAILABLE', async () => {
      const error = await rejection(readPolicyDir(join(tmpdir(), 'actiongate-no-such-folder', 'policies')));
      expect(error.code).toBe('POLICY_UNAVAILABLE');
    });
  });

  describe('when surfaces.json is missing', () => {
    it('is POLICY_UNAVAILABLE naming it', async () => {
      const dir = await tempPolicies({ 'payments/a.cedar': '' });
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_UNAVAILABLE');
      expect(error.details?.['file']).toBe('surfaces.json');
    });
  });

  describe('when a policy file is not UTF-8', () => {
    it('is POLICY_INVALID naming the file', async () => {
      const dir = await tempPolicies({ 'surfaces.json': '{}', 'payments/a.cedar': new Uint8Array([0x70, 0xff, 0xfe]) });
      const error = await rejection(readPolicyDir(dir));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.details?.['file']).toBe('payments/a.cedar');
    });
  });
});
