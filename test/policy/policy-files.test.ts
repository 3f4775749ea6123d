import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/policy-error.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
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
    it('returns surfaces.json, the schema and every policy file, sorted by posix path, and nothing else', async () => {
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
        'schema.cedarschema',
        'surfaces.json',
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
        'b/old/x.cedar': '',
        '.git/y.cedar': '',
      });
      expect((await readPolicyDir(dir)).map((file) => file.path)).toEqual([
        'b/a.cedar',
        'b/z.cedar',
        'schema.cedarschema',
        'surfaces.json',
      ]);
    });
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
