import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { POLICIES_DIR } from '../support/paths.js';

/**
 * The generic runner for policies/<surface>/cases.json: each case is a request and the decision
 * the sample policies must give it, at the file's fixed instant (or the case's own).
 */
const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

const CasesFileSchema = z.strictObject({
  version: z.literal(1),
  now: z.iso.datetime(),
  cases: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        now: z.iso.datetime().optional(),
        actor: z.strictObject({ id: z.string(), type: z.string() }),
        action: z.string(),
        target: z.strictObject({ type: z.string(), id: z.string() }),
        context: z.record(z.string(), JsonValue),
        expect: z.strictObject({
          outcome: z.enum(['PERMIT', 'DENY', 'SILENCE']),
          reasons: z.array(z.string()).min(1),
        }),
      }),
    )
    .min(2),
});

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
    const file = CasesFileSchema.parse(JSON.parse(await readFile(join(POLICIES_DIR, surface, 'cases.json'), 'utf8')));

    it('has at least one permitted and one refused case', () => {
      const outcomes = new Set(file.cases.map((c) => c.expect.outcome));
      expect(outcomes.has('PERMIT')).toBe(true);
      expect(outcomes.has('DENY')).toBe(true);
    });

    it.each(file.cases.map((c) => [c.name, c] as const))('decides "%s"', (_, c) => {
      const decision = set.evaluate(
        {
          idempotencyKey: `case:${surface}:${c.name}`,
          actor: c.actor,
          surface,
          action: c.action,
          target: c.target,
          context: c.context as never,
        },
        { now: new Date(c.now ?? file.now) },
      );
      expect({ outcome: decision.outcome, reasons: decision.reasons }).toEqual(c.expect);
      expect(decision.policy.digest).toBe(set.digest);
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
      expect(set.evaluate(request, { now: new Date(iso) }).outcome).toBe(outcome);
    });
  });
});
