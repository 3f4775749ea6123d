import { access, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileVerifiedBundle } from '../../src/bundle/compile-verified-bundle.js';
import { verifyBundle } from '../../src/bundle/verify-bundle.js';
import { TEST_KEY_1, TRUST_KEY_1 } from '../fixtures/signing-keys.js';
import { POLICIES_DIR } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
let work: string;
let keyFile: string;
let policies: string;

beforeAll(async () => {
  work = await tempDir('actiongate-cli-build-');
  keyFile = join(work, 'bundle.key.json');
  await writeFile(keyFile, JSON.stringify(TEST_KEY_1), { mode: 0o600 });
  policies = join(work, 'policies');
  await cp(POLICIES_DIR, policies, { recursive: true });
});

function build(out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runCli(['policy', 'build', policies, '--out', out, '--version', '2026-11-24.1', '--revision', '3', '--git-commit', COMMIT, ...extra], env);
}

describe('actiongate policy build', () => {
  describe('when building the sample policies', () => {
    it('writes a bundle that verifies, and prints its digest, version, revision and key', async () => {
      const out = join(work, 'a.bundle.json');
      const ran = await build(out, ['--key', keyFile]);
      expect(ran.code, ran.stderr).toBe(0);

      const verified = verifyBundle(await readFile(out, 'utf8'), TRUST_KEY_1, new Date('2026-11-24T10:00:00Z'));
      expect(verified.body.metadata).toEqual({ version: '2026-11-24.1', revision: 3, gitCommit: COMMIT });
      expect(ran.stdout).toMatch(new RegExp(`^digest +${verified.digest}$`, 'm'));
      expect(ran.stdout).toMatch(/^version +2026-11-24\.1$/m);
      expect(ran.stdout).toMatch(/^revision +3$/m);
      expect(ran.stdout).toMatch(new RegExp(`^key +${TEST_KEY_1.keyId}$`, 'm'));
      expect(ran.stdout).toMatch(new RegExp(`^gitCommit +${COMMIT}$`, 'm'));
      expect(compileVerifiedBundle(verified).version).toBe('2026-11-24.1');
    });

    it('writes the same bytes every time, with the key from ACTIONGATE_BUNDLE_SIGNING_KEY too', async () => {
      const [a, b] = [join(work, 'same-a.bundle.json'), join(work, 'same-b.bundle.json')];
      expect((await build(a, ['--key', keyFile])).code).toBe(0);
      const ran = await build(b, [], { ACTIONGATE_BUNDLE_SIGNING_KEY: keyFile });
      expect(ran.code, ran.stderr).toBe(0);
      expect(await readFile(b, 'utf8')).toBe(await readFile(a, 'utf8'));
    });
  });

  describe('when the policies do not compile', () => {
    it('exits 1 naming file and policy, and writes nothing', async () => {
      const broken = join(work, 'broken');
      await cp(policies, broken, { recursive: true });
      const guards = join(broken, 'payments', 'guards.cedar');
      await writeFile(guards, (await readFile(guards, 'utf8')).replace('context.amount <= 0', 'context.amout <= 0'));
      const out = join(work, 'broken.bundle.json');
      const ran = await runCli(['policy', 'build', broken, '--out', out, '--version', 'x', '--revision', '1', '--key', keyFile, '--git-commit', COMMIT]);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('POLICY_INVALID');
      expect(ran.stderr).toContain('payments/guards.cedar');
      expect(ran.stderr).toContain('payments.forbid-non-positive-amount');
      await expect(access(out)).rejects.toThrow();
    });
  });

  describe('when the options are wrong', () => {
    it.each([
      ['no --out', ['--version', 'v', '--revision', '1', '--key', 'k']],
      ['no --version', ['--out', 'o', '--revision', '1', '--key', 'k']],
      ['a version with a space', ['--out', 'o', '--version', 'a b', '--revision', '1', '--key', 'k']],
      ['revision 0', ['--out', 'o', '--version', 'v', '--revision', '0', '--key', 'k']],
      ['a revision that is not a number', ['--out', 'o', '--version', 'v', '--revision', '1e3', '--key', 'k']],
      ['no key', ['--out', 'o', '--version', 'v', '--revision', '1']],
      ['a short git commit', ['--out', 'o', '--version', 'v', '--revision', '1', '--key', 'k', '--git-commit', 'abc123']],
    ])('exits 2 for %s', async (_, args) => {
      const ran = await runCli(['policy', 'build', POLICIES_DIR, ...args]);
      expect(ran.code, ran.stderr).toBe(2);
    });

    it('exits 1 when the key file is missing', async () => {
      const ran = await runCli(['policy', 'build', policies, '--out', join(work, 'x.json'), '--version', 'v', '--revision', '1', '--key', join(work, 'none.key.json'), '--git-commit', COMMIT]);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('UNAVAILABLE');
    });
  });
});
