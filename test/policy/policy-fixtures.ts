import type { ActionRequest } from '../../src/request/action-request.js';
import { expect } from 'vitest';
import { PolicyError } from '../../src/policy/policy-error.js';
import type { PolicyFile } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';

/** Tuesday 10:00 UTC: inside the config-changes window. */
export const TUESDAY_10_UTC = { now: new Date('2026-11-24T10:00:00Z') } as const;

export function surfacesJson(names: readonly string[]): PolicyFile {
  const surfaces = Object.fromEntries(
    names.map((name) => [name, { connector: { kind: 'http', url: `http://127.0.0.1:8787/${name}` } }]),
  );
  return { path: 'surfaces.json', text: JSON.stringify({ version: 1, surfaces }) };
}

/** A one-surface policy set `demo` with the given Cedar text in `demo/policies.cedar`. */
export function demoSet(cedar: string): PolicyFile[] {
  return [surfacesJson(['demo']), { path: 'demo/policies.cedar', text: cedar }];
}

export function demoRequest(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    idempotencyKey: 'test-0001',
    actor: { id: 'agent-1', type: 'agent' },
    surface: 'demo',
    action: 'transfer',
    target: { type: 'account', id: 'acct-1' },
    context: { amount: 100 },
    ...overrides,
  };
}

export const PERMIT_TRANSFER = `
@id("demo.permit-transfer")
permit (principal, action == ActionGate::Action::"transfer", resource);
`;

/** The PolicyError that compilePolicySet throws for these files (fails the test if it does not throw). */
export function compileError(files: readonly PolicyFile[]): PolicyError {
  try {
    compilePolicySet(files);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected compilePolicySet to throw');
}
