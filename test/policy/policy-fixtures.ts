import type { ActionRequest } from '../../src/request/action-request.js';
import { expect } from 'vitest';
import type { PrincipalRegistry } from '../../src/identity/principal-registry.js';
import type { TargetRegistry } from '../../src/identity/target-registry.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { Signer } from '../../src/keys/signer.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import type { PolicyFile } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../fixtures/signing-keys.js';

/** Tuesday 10:00 UTC: inside the config-changes window. */
export const TUESDAY_10_UTC = { now: new Date('2026-11-24T10:00:00Z') } as const;

/**
 * The same instant with the signature taken as checked: for tests about policies, not signatures
 * (as the policy case runner evaluates).
 */
export const TUESDAY_10_ASSUMED_SIGNED = { ...TUESDAY_10_UTC, assumeSigned: true } as const;

/** agent-1's request-signing key (RFC 8032 TEST 1: public, tests only). */
export const AGENT_1_SIGNER: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_1), 'TEST_KEY_1');
/** carol's request-signing key (RFC 8032 TEST 2: public, tests only). */
export const CAROL_SIGNER: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_2), 'TEST_KEY_2');

/**
 * The schema of the demo sets: `transfer` and `refund` with an integer `amount` (contexts are
 * closed records: a test that sends more declares it in its own schema), and the Target shape the
 * gate fills in.
 */
export const DEMO_SCHEMA = `namespace ActionGate {
  entity Actor = { "type": String };
  entity Target = { "type": String, "tags": Set<String> };
  type Gate = { now: Long, hourUtc: Long, weekdayUtc: Long, surface: String };
  action transfer, refund appliesTo { principal: [Actor], resource: [Target], context: { gate: Gate, amount: Long } };
}
`;

/** The actors the demo sets know: agent-1 (the default actor of {@link demoRequest}) and carol. */
export const DEMO_PRINCIPALS: PrincipalRegistry = {
  version: 1,
  principals: {
    'agent-1': { type: 'agent', attributes: {}, groups: [], attestedBy: [], keys: [{ keyId: AGENT_1_SIGNER.keyId, publicKey: AGENT_1_SIGNER.publicKey, purpose: 'request' }] },
    carol: { type: 'human', attributes: {}, groups: [], attestedBy: [], keys: [{ keyId: CAROL_SIGNER.keyId, publicKey: CAROL_SIGNER.publicKey, purpose: 'request' }] },
  },
};

export function surfacesJson(names: readonly string[], config: Record<string, unknown> = {}): PolicyFile {
  const surfaces = Object.fromEntries(
    names.map((name) => [name, { connector: { kind: 'http', url: `http://127.0.0.1:8787/${name}` }, ...config }]),
  );
  return { path: 'surfaces.json', text: JSON.stringify({ version: 1, surfaces }) };
}

export function schemaFile(text: string = DEMO_SCHEMA): PolicyFile {
  return { path: 'schema.cedarschema', text };
}

export function principalsFile(registry: PrincipalRegistry = DEMO_PRINCIPALS): PolicyFile {
  return { path: 'principals.json', text: JSON.stringify(registry) };
}

export function targetsFile(registry: TargetRegistry): PolicyFile {
  return { path: 'targets.json', text: JSON.stringify(registry) };
}

export interface IdentityFiles {
  /** schema.cedarschema; default {@link DEMO_SCHEMA}. */
  schema?: string;
  /** principals.json; default {@link DEMO_PRINCIPALS}. */
  principals?: PrincipalRegistry;
  /** targets.json; none by default. */
  targets?: TargetRegistry;
}

/** The files every policy set needs besides surfaces.json and its policies: schema, principals, targets. */
export function identityFiles(options: IdentityFiles = {}): PolicyFile[] {
  return [
    schemaFile(options.schema),
    principalsFile(options.principals),
    ...(options.targets ? [targetsFile(options.targets)] : []),
  ];
}

/** A one-surface policy set `demo` with the given Cedar text in `demo/policies.cedar`. */
export function demoSet(cedar: string, options: IdentityFiles = {}): PolicyFile[] {
  return [surfacesJson(['demo']), ...identityFiles(options), { path: 'demo/policies.cedar', text: cedar }];
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
