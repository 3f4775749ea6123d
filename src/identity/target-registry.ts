import { z } from 'zod';
import { parseRegistryFile } from './principal-registry.js';

const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** One target the policies know facts about: its kind and tags (e.g. "sanctioned") from trusted data. */
export const TargetSchema = z.strictObject({
  type: z.string().regex(KIND_PATTERN, { error: 'must be a lower-case name, like a request\'s target.type' }),
  tags: z.array(z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, { error: 'must be a lower-case word' })).default([]),
  description: z.string().optional(),
});

/**
 * policies/targets.json: facts about targets that policies rely on and that must not come from
 * the request (whether an account is sanctioned, whether a dataset is restricted). A target the
 * file does not list has no tags.
 */
export const TargetRegistrySchema = z.strictObject({
  version: z.literal(1),
  targets: z.record(z.string().min(1).max(200), TargetSchema),
});

export type TargetFacts = z.infer<typeof TargetSchema>;
export type TargetRegistry = z.infer<typeof TargetRegistrySchema>;

export const EMPTY_TARGETS: TargetRegistry = { version: 1, targets: {} };

/**
 * @throws PolicyError `POLICY_INVALID` with every bad field in `details.issues`.
 * @example parseTargetRegistry('{"version":1,"targets":{"IR-0001":{"type":"account","tags":["sanctioned"]}}}');
 */
export function parseTargetRegistry(text: string, file = 'targets.json'): TargetRegistry {
  return parseRegistryFile(TargetRegistrySchema, text, file);
}
