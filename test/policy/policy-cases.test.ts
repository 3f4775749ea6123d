import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatCaseResult, runPolicyCases } from '../../src/policy/case-runner.js';
import { readPolicyCases } from '../../src/policy/policy-cases.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { POLICIES_DIR } from '../support/paths.js';

// policies/<surface>/cases.json through the generic runner (the same one `actiongate policy test` uses).
const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
const surfaces = Object.keys(set.registry.surfaces).sort();
const entries = await readdir(POLICIES_DIR, { withFileTypes: true });
const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

describe('sample policies', () => {
  describe('when listing the surfaces', () => {
    it('has the four sample surfaces, each with a cases.json', () => {
      expect(surfaces).toEqual(['config-changes', 'customer-messages', 'data-exports', 'payments']);
      expect(folders).toEqual(surfaces);
    });
  });

  describe.each(surfaces)('when checking the cases of %s', async (surface) => {
    const file = await readPolicyCases(POLICIES_DIR, surface);
    const results = runPolicyCases(set, surface, file);

    it('has at least one permitted, one denied and one silenced case', () => {
      const outcomes = new Set(file.cases.map((c) => c.expect.outcome));
      expect([...outcomes].filter((o) => o !== 'STEP_UP').sort()).toEqual(['DENY', 'PERMIT', 'SILENCE']);
    });

    it('silences a request that lacks a required attribute', () => {
      expect(file.cases.some((c) => c.expect.outcome === 'SILENCE' && c.expect.reasons.includes('schema_violation'))).toBe(true);
    });

    it.each(results.map((result) => [result.name, result] as const))('decides "%s"', (_, result) => {
      expect(result.passed, formatCaseResult(result)).toBe(true);
      expect(result.actual?.policy.digest).toBe(set.digest);
    });
  });

  describe('when the clock crosses the config-changes window', () => {
    const request = {
      idempotencyKey: 'window',
      actor: { id: 'bob', type: 'human' },
      surface: 'config-changes',
      action: 'apply',
      target: { type: 'service-config', id: 'api-gateway' },
      context: { environment: 'production', change_ticket: 'CHG-1' },
    };
    it.each([
      ['2026-11-23T08:59:59Z', 'Monday 08:59:59', 'DENY'],
      ['2026-11-23T09:00:00Z', 'Monday 09:00', 'PERMIT'],
      ['2026-11-24T10:00:00Z', 'Tuesday 10:00', 'PERMIT'],
      ['2026-11-26T15:59:59Z', 'Thursday 15:59:59', 'PERMIT'],
      ['2026-11-26T16:00:00Z', 'Thursday 16:00', 'DENY'],
      ['2026-11-27T10:00:00Z', 'Friday 10:00', 'DENY'],
      ['2026-11-29T10:00:00Z', 'Sunday 10:00', 'DENY'],
    ])('at %s (%s) is %s', (iso, _, outcome) => {
      // About the clock, not the signature: taken as checked, as the case runner does.
      expect(set.evaluate(request, { now: new Date(iso), assumeSigned: true }).outcome).toBe(outcome);
    });
  });
});
