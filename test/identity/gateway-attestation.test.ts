import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { parsePrincipalRegistry } from '../../src/identity/principal-registry.js';
import {
  GATEWAY_ATTESTATION_DOMAIN,
  attestRequest,
  proveActor,
  signRequest,
  type ProvenActor,
} from '../../src/identity/request-signature.js';
import { demoSigner } from '../../src/demo/demo-keys.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { requestHash } from '../../src/request/request-hash.js';
import { agentRequest, AGENT_42_SIGNER, NOW } from './identity-fixtures.js';

// front-door: a gateway (the HTTP API) that authenticates agents and attests their requests.
// agent-42 lists it in attestedBy; agent-7 does not. Keys are the public demo keys (tests only).
const GATEWAY = demoSigner('test-front-door');
const OTHER_GATEWAY = demoSigner('test-other-door');
const AGENT_7 = demoSigner('test-agent-7');

function registryText(edit: (principals: Record<string, Record<string, unknown>>) => void = () => {}): string {
  const principals: Record<string, Record<string, unknown>> = {
    'agent-42': { type: 'agent', attestedBy: ['front-door'], keys: [{ keyId: AGENT_42_SIGNER.keyId, publicKey: AGENT_42_SIGNER.publicKey }] },
    'agent-7': { type: 'agent', keys: [{ keyId: AGENT_7.keyId, publicKey: AGENT_7.publicKey }] },
    'front-door': { type: 'service', keys: [{ keyId: GATEWAY.keyId, publicKey: GATEWAY.publicKey, purpose: 'gateway' }] },
    'other-door': { type: 'service', keys: [{ keyId: OTHER_GATEWAY.keyId, publicKey: OTHER_GATEWAY.publicKey, purpose: 'gateway' }] },
  };
  edit(principals);
  return JSON.stringify({ version: 1, principals });
}

const REGISTRY = parsePrincipalRegistry(registryText());

function prove(request: ReturnType<typeof agentRequest>, signature: unknown): ProvenActor {
  return proveActor(REGISTRY, request, signature, { now: NOW, allowUnsigned: false });
}

function refusal(result: ProvenActor): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  expect(result.reason).toBe('bad_signature');
  return result.detail;
}

describe('attestRequest', () => {
  it('signs its own domain line then the request hash (checked by another Ed25519 implementation)', async () => {
    const request = agentRequest();
    const attestation = attestRequest(request, GATEWAY);
    const message = new TextEncoder().encode(`${GATEWAY_ATTESTATION_DOMAIN}${requestHash(request)}`);
    expect(await ed.verifyAsync(Buffer.from(attestation.sig, 'base64url'), message, Buffer.from(GATEWAY.publicKey, 'base64url'))).toBe(true);
  });
});

describe('proveActor with a gateway attestation', () => {
  it('proves an actor that lists the gateway, naming the gateway key and the gateway', () => {
    const request = agentRequest();
    expect(prove(request, attestRequest(request, GATEWAY))).toMatchObject({ ok: true, id: 'agent-42', keyId: GATEWAY.keyId, attestedBy: 'front-door' });
  });

  it("still proves the actor by its own signature, without naming a gateway", () => {
    const request = agentRequest();
    const proven = prove(request, signRequest(request, AGENT_42_SIGNER));
    expect(proven).toMatchObject({ ok: true, keyId: AGENT_42_SIGNER.keyId });
    expect(proven).not.toHaveProperty('attestedBy');
  });

  it('refuses a gateway the actor does not list', () => {
    const request = agentRequest();
    expect(refusal(prove(request, attestRequest(request, OTHER_GATEWAY)))).toMatch(/is not a key of agent-42 nor of a gateway it lists in attestedBy \(front-door\)/);
  });

  it('refuses any gateway for an actor that lists none', () => {
    const request = agentRequest({ actor: { id: 'agent-7', type: 'agent' } });
    expect(refusal(prove(request, attestRequest(request, GATEWAY)))).toMatch(/is not a key of agent-7$/);
  });

  it("refuses the gateway key's signature in the request domain (a gateway cannot sign as the actor)", () => {
    const request = agentRequest();
    expect(refusal(prove(request, signRequest(request, GATEWAY)))).toMatch(/attestation by gateway front-door does not verify/);
  });

  it("refuses the actor's own key in the attestation domain", () => {
    const request = agentRequest();
    expect(refusal(prove(request, attestRequest(request, AGENT_42_SIGNER)))).toMatch(/signature does not verify with key .* of agent-42/);
  });

  it('refuses an attestation of another request', () => {
    const request = agentRequest();
    const other = agentRequest({ context: { amount: 99_999_999, currency: 'EUR' } });
    expect(refusal(prove(request, attestRequest(other, GATEWAY)))).toMatch(/does not verify/);
  });

  it("refuses a gateway principal's key that is not a gateway key", () => {
    const registry = parsePrincipalRegistry(
      registryText((p) => {
        (p['front-door'] as { keys: unknown[] }).keys.push({ keyId: AGENT_7.keyId, publicKey: AGENT_7.publicKey, purpose: 'request' });
        delete p['agent-7'];
      }),
    );
    const request = agentRequest();
    const result = proveActor(registry, request, attestRequest(request, AGENT_7), { now: NOW, allowUnsigned: false });
    expect(refusal(result)).toMatch(/of front-door signs its own requests, not attestations/);
  });
});

describe('attestedBy in principals.json', () => {
  it.each([
    ['an unknown principal', (p: Record<string, Record<string, unknown>>) => (p['agent-42']!.attestedBy = ['nobody']), /attestedBy.0: "nobody" is not a principal/],
    ['a principal without a gateway key', (p: Record<string, Record<string, unknown>>) => (p['agent-42']!.attestedBy = ['agent-7']), /"agent-7" has no key with purpose "gateway"/],
    [
      'itself',
      (p: Record<string, Record<string, unknown>>) => {
        p['front-door']!.attestedBy = ['front-door'];
      },
      /front-door.attestedBy.0: a principal cannot attest itself/,
    ],
  ])('refuses %s, naming the field', (_what, edit, message) => {
    expect(() => parsePrincipalRegistry(registryText(edit))).toThrow(PolicyError);
    expect(() => parsePrincipalRegistry(registryText(edit))).toThrow(message);
  });
});
