// examples/*.json are what a newcomer submits first: each must be a valid ActionRequest that the
// shipped policies decide as examples/README.md says.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { parseActionRequest } from '../../src/request/action-request.js';
import { DEMO_PRINCIPALS } from '../../src/demo/demo-keys.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';

const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** What examples/README.md promises for each file. */
const EXPECTED: Record<string, { outcome: string; reasons: string[] }> = {
  'payments-transfer.json': { outcome: 'PERMIT', reasons: ['payments.permit-agent-transfer'] },
  'payments-over-limit.json': { outcome: 'DENY', reasons: ['payments.forbid-agent-over-limit'] },
  'payments-new-payee.json': { outcome: 'STEP_UP', reasons: ['payments.new-payee-needs-approval'] },
  'config-changes-staging.json': { outcome: 'PERMIT', reasons: ['config-changes.permit-non-production'] },
  'data-exports-internal.json': { outcome: 'PERMIT', reasons: ['data-exports.permit-export'] },
  'customer-messages-email.json': { outcome: 'PERMIT', reasons: ['customer-messages.permit-agent-send'] },
};

const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
// mcp-gateway.json is the MCP gateway's sample configuration, not a request (test/mcp/gateway-config.test.ts).
const files = (await readdir(EXAMPLES_DIR)).filter((f) => f.endsWith('.json') && f !== 'mcp-gateway.json').sort();
const readme = await readFile(join(EXAMPLES_DIR, 'README.md'), 'utf8');

describe('examples/', () => {
  it('has a request for every sample surface, and an expectation for every file', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    const surfaces = new Set(files.map((f) => f.split('-').slice(0, -1).join('-')));
    for (const surface of Object.keys(set.registry.surfaces)) expect([...surfaces].some((s) => s.startsWith(surface))).toBe(true);
  });

  describe.each(files)('%s', async (file) => {
    const json = JSON.parse(await readFile(join(EXAMPLES_DIR, file), 'utf8'));
    const expected = EXPECTED[file]!;

    it('is a valid ActionRequest of a sample principal with a demo key', () => {
      const request = parseActionRequest(json);
      expect(DEMO_PRINCIPALS as readonly string[]).toContain(request.actor.id);
    });

    it(`is ${expected.outcome} by the shipped policies`, () => {
      // On a Tuesday at 10:00 UTC (config-changes has a window); signed, as --key makes it.
      const decision = set.evaluate(parseActionRequest(json), { now: new Date('2026-11-24T10:00:00Z'), assumeSigned: true });
      expect({ outcome: decision.outcome, reasons: [...decision.reasons].sort() }).toEqual(expected);
    });

    it('is listed in examples/README.md with that outcome', () => {
      const line = readme.split('\n').find((l) => l.includes(`examples/${file}`) || l.includes(`\`${file}\``));
      expect(line, `no line of examples/README.md names ${file}`).toBeDefined();
      expect(line).toContain(expected.outcome);
    });
  });
});
