import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES_DIR } from '../support/paths.js';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

async function copyOfSamples(): Promise<string> {
  const dir = join(await tempDir('actiongate-cli-policy-test-'), 'policies');
  await cp(POLICIES_DIR, dir, { recursive: true });
  return dir;
}

async function edit(path: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const changed = change(text);
  expect(changed).not.toBe(text);
  await writeFile(path, changed);
}

async function caseCount(dir: string): Promise<number> {
  let count = 0;
  for (const surface of ['config-changes', 'customer-messages', 'data-exports', 'payments']) {
    count += JSON.parse(await readFile(join(dir, surface, 'cases.json'), 'utf8')).cases.length;
  }
  return count;
}

describe('actiongate policy test', () => {
  describe('when run on the sample policies (ACTIONGATE_POLICIES)', () => {
    it('passes every case and exits 0', async () => {
      const ran = await runCli(['policy', 'test'], { ACTIONGATE_POLICIES: POLICIES_DIR });
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      const lines = ran.stdout.trimEnd().split('\n');
      const total = await caseCount(POLICIES_DIR);
      expect(lines.at(-1)).toBe(`${total} passed, 0 failed`);
      expect(lines.filter((line) => line.startsWith('PASS '))).toHaveLength(total);
      expect(ran.stdout).toContain('PASS payments agent transfers 500.00 EUR, exactly its limit\n');
    });
  });

  describe('when one case expects the wrong decision', () => {
    it('prints FAIL with expected and actual, and exits 1', async () => {
      const dir = await copyOfSamples();
      await edit(join(dir, 'payments', 'cases.json'), (text) =>
        text.replace(
          '"context": { "amount": 50001, "currency": "EUR" },\n      "expect": { "outcome": "DENY", "reasons": ["payments.forbid-agent-over-limit"] }',
          '"context": { "amount": 50001, "currency": "EUR" },\n      "expect": { "outcome": "PERMIT", "reasons": ["payments.permit-agent-transfer"] }',
        ),
      );
      const ran = await runCli(['policy', 'test', dir]);
      expect(ran.code).toBe(1);
      expect(ran.stdout).toContain(
        'FAIL payments agent transfers 500.01 EUR: expected PERMIT [payments.permit-agent-transfer] got DENY [payments.forbid-agent-over-limit]\n',
      );
      expect(ran.stdout.trimEnd().split('\n').at(-1)).toBe(`${(await caseCount(dir)) - 1} passed, 1 failed`);
    });
  });

  describe('when a policy does not validate against the schema', () => {
    it('prints INVALID naming the file and policy id, and exits 1', async () => {
      const dir = await copyOfSamples();
      await edit(join(dir, 'payments', 'guards.cedar'), (text) => text.replace('context.amount <= 0', 'context.amout <= 0'));
      const ran = await runCli(['policy', 'test', dir]);
      expect(ran.code).toBe(1);
      expect(ran.stdout).toMatch(/^INVALID .*payments\/guards\.cedar @id\("payments\.forbid-non-positive-amount"\)/m);
    });

    it('also exits 1 for a comparison of a number with a string', async () => {
      const dir = await copyOfSamples();
      await edit(join(dir, 'customer-messages', 'guards.cedar'), (text) => text.replace('context.recipient_count < 1', 'context.recipient_count == "1"'));
      const ran = await runCli(['policy', 'test', dir]);
      expect(ran.code).toBe(1);
      expect(ran.stdout).toContain('customer-messages.forbid-no-recipients');
    });
  });

  describe('when a surface has no cases.json', () => {
    it('says so and exits 1', async () => {
      const dir = await copyOfSamples();
      await rm(join(dir, 'data-exports', 'cases.json'));
      const ran = await runCli(['policy', 'test', dir]);
      expect(ran.code).toBe(1);
      expect(ran.stdout).toMatch(/^ERROR cannot read data-exports\/cases\.json/m);
    });
  });

  describe('when asked for help', () => {
    it.each([[['policy', '--help']], [['policy', 'test', '--help']], [['policy', 'build', '--help']], [['keys', '--help']]])('%j prints usage and exits 0', async (args) => {
      const ran = await runCli(args);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/^Usage: actiongate/);
    });
  });
});
