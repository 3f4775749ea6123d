// Principals for the identity tests: agent-42 (an agent) and alice (a human), each with one
// request-signing key from RFC 8032 (public, tests only), agent-42's valid during 2026 only.
import { parsePrincipalRegistry, type PrincipalRegistry } from '../../src/identity/principal-registry.js';
import { parsePrivateKeyFile } from '../../src/keys/private-key-file.js';
import type { Signer } from '../../src/keys/signer.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import { TEST_KEY_1, TEST_KEY_2 } from '../fixtures/signing-keys.js';

export const AGENT_42_SIGNER: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_1), 'TEST_KEY_1');
export const ALICE_SIGNER: Signer = parsePrivateKeyFile(JSON.stringify(TEST_KEY_2), 'TEST_KEY_2');

export const AGENT_42_KEY_FROM = '2026-01-01T00:00:00Z';
export const AGENT_42_KEY_UNTIL = '2027-01-01T00:00:00Z';

/** Inside agent-42's key validity. */
export const NOW = new Date('2026-11-24T10:00:00Z');

/** principals.json as text, so the tests read it through the same parser as the gate. */
export const PRINCIPALS_TEXT = JSON.stringify({
  version: 1,
  principals: {
    'agent-42': {
      type: 'agent',
      attributes: { team: 'ap' },
      keys: [
        {
          keyId: AGENT_42_SIGNER.keyId,
          publicKey: AGENT_42_SIGNER.publicKey,
          validFrom: AGENT_42_KEY_FROM,
          validUntil: AGENT_42_KEY_UNTIL,
        },
      ],
    },
    alice: { type: 'human', keys: [{ keyId: ALICE_SIGNER.keyId, publicKey: ALICE_SIGNER.publicKey }] },
  },
});

export const REGISTRY: PrincipalRegistry = parsePrincipalRegistry(PRINCIPALS_TEXT);

export function agentRequest(overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    idempotencyKey: 'identity-0001',
    actor: { id: 'agent-42', type: 'agent' },
    surface: 'payments',
    action: 'transfer',
    target: { type: 'account', id: 'acct-7' },
    context: { amount: 12_000, currency: 'EUR' },
    ...overrides,
  };
}
