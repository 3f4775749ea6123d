import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKeySet } from '../../src/keys/key-set-schema.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

/** The base64 body of a PEM: what must never be printed. */
function pemBody(pem: string): string {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('');
}

describe('actiongate keys generate', () => {
  describe('when generating into a new folder', () => {
    it('writes a 0600 private key and a key set, and prints no private key', async () => {
      const dir = join(await tempDir('actiongate-cli-keys-'), 'keys');
      const ran = await runCli(['keys', 'generate', '--out', dir, '--name', 'bundle']);
      expect(ran.code, ran.stderr).toBe(0);

      const keyPath = join(dir, 'bundle.key.json');
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      const key = JSON.parse(await readFile(keyPath, 'utf8'));
      expect(key).toMatchObject({ version: 1, keyId: expect.stringMatching(/^ed25519:[0-9a-f]{32}$/) });
      for (const output of [ran.stdout, ran.stderr]) {
        expect(output).not.toContain(pemBody(key.privateKey));
        expect(output).not.toContain('PRIVATE KEY-----');
      }
      expect(ran.stdout).toContain(key.keyId);
      expect(ran.stdout).toContain(key.publicKey);

      const keySet = parseKeySet(await readFile(join(dir, 'keyset.json'), 'utf8'), 'keyset.json');
      expect(keySet.keys).toEqual([{ keyId: key.keyId, publicKey: key.publicKey, purpose: 'policy-bundle' }]);
    });
  });

  describe('when generating a second key into the same folder', () => {
    it('adds it to the key set, under a default name from its purpose and id', async () => {
      const dir = await tempDir('actiongate-cli-keys-');
      expect((await runCli(['keys', 'generate', '--out', dir])).code).toBe(0);
      const ran = await runCli(['keys', 'generate', '--out', dir, '--purpose', 'receipt', '--valid-until', '2030-01-01T00:00:00Z']);
      expect(ran.code, ran.stderr).toBe(0);
      const keySet = parseKeySet(await readFile(join(dir, 'keyset.json'), 'utf8'), 'keyset.json');
      expect(keySet.keys.map((k) => k.purpose).sort()).toEqual(['policy-bundle', 'receipt']);
      const receipt = keySet.keys.find((k) => k.purpose === 'receipt');
      expect(receipt?.validUntil).toBe('2030-01-01T00:00:00Z');
      await stat(join(dir, `receipt-${receipt?.keyId.slice(8, 16)}.key.json`));
    });
  });

  describe('when the key file already exists', () => {
    it('exits 1 and leaves it and the key set alone', async () => {
      const dir = await tempDir('actiongate-cli-keys-');
      expect((await runCli(['keys', 'generate', '--out', dir, '--name', 'k'])).code).toBe(0);
      const before = [await readFile(join(dir, 'k.key.json'), 'utf8'), await readFile(join(dir, 'keyset.json'), 'utf8')];
      const ran = await runCli(['keys', 'generate', '--out', dir, '--name', 'k']);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('EXISTS');
      expect([await readFile(join(dir, 'k.key.json'), 'utf8'), await readFile(join(dir, 'keyset.json'), 'utf8')]).toEqual(before);
    });
  });

  describe('when the options are wrong', () => {
    it.each([
      [['keys', 'generate']],
      [['keys', 'generate', '--out', 'x', '--purpose', 'everything']],
      [['keys', 'generate', '--out', 'x', '--name', '../escape']],
      [['keys', 'generate', '--out', 'x', '--bogus']],
      [['keys', 'frobnicate']],
    ])('%j exits 2', async (args) => {
      expect((await runCli(args)).code).toBe(2);
    });
  });
});

describe('actiongate keys export', () => {
  describe('when given private key files and key sets', () => {
    it('prints one key set of their public keys only', async () => {
      const dir = await tempDir('actiongate-cli-keys-');
      expect((await runCli(['keys', 'generate', '--out', dir, '--name', 'a'])).code).toBe(0);
      const other = await tempDir('actiongate-cli-keys-');
      expect((await runCli(['keys', 'generate', '--out', other, '--name', 'b', '--purpose', 'receipt'])).code).toBe(0);
      const a = JSON.parse(await readFile(join(dir, 'a.key.json'), 'utf8'));

      const ran = await runCli(['keys', 'export', '--key', join(dir, 'a.key.json'), '--key', join(other, 'keyset.json'), join(dir, 'keyset.json')]);
      expect(ran.code, ran.stderr).toBe(0);
      const exported = parseKeySet(ran.stdout, 'stdout');
      expect(exported.keys).toHaveLength(2);
      expect(exported.keys).toContainEqual({ keyId: a.keyId, publicKey: a.publicKey, purpose: 'policy-bundle' });
      expect(ran.stdout).not.toContain('privateKey');
      expect(ran.stdout).not.toContain(pemBody(a.privateKey));
    });
  });

  describe('when a file is neither', () => {
    it('exits 1 naming it', async () => {
      const dir = await tempDir('actiongate-cli-keys-');
      const ran = await runCli(['keys', 'export', '--key', join(dir, 'missing.json')]);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('missing.json');
    });
  });
});
