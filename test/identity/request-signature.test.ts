import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { proveActor, REQUEST_SIGNATURE_DOMAIN, requestSigningInput, signRequest, type ProvenActor } from '../../src/identity/request-signature.js';
import { encodeBase64url } from '../../src/keys/base64url.js';
import { requestHash } from '../../src/request/request-hash.js';
import type { ActionRequest } from '../../src/request/action-request.js';
import {
  AGENT_42_KEY_FROM,
  AGENT_42_KEY_UNTIL,
  AGENT_42_SIGNER,
  agentRequest,
  ALICE_SIGNER,
  NOW,
  REGISTRY,
} from './identity-fixtures.js';

const ENFORCE = { now: NOW, allowUnsigned: false } as const;

function prove(request: ActionRequest, signature: unknown, options: Partial<Parameters<typeof proveActor>[3]> = {}): ProvenActor {
  return proveActor(REGISTRY, request, signature, { ...ENFORCE, ...options });
}

function refusal(result: ProvenActor): { reason: string; detail: string } {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return { reason: result.reason, detail: result.detail };
}

describe('signRequest', () => {
  describe('when checked by another Ed25519 implementation', () => {
    it('signs the domain line then the request hash, with the key it names', async () => {
      const request = agentRequest();
      const signature = signRequest(request, AGENT_42_SIGNER);
      expect(signature.keyId).toBe(AGENT_42_SIGNER.keyId);
      const message = new TextEncoder().encode(`${REQUEST_SIGNATURE_DOMAIN}${requestHash(request)}`);
      expect(requestSigningInput(requestHash(request))).toEqual(message);
      const publicKey = Buffer.from(AGENT_42_SIGNER.publicKey, 'base64url');
      expect(await ed.verifyAsync(Buffer.from(signature.sig, 'base64url'), message, publicKey)).toBe(true);
    });
  });
});

describe('proveActor', () => {
  describe('when the signature is valid, by a key of the actor valid now', () => {
    it('proves the actor and names the key', () => {
      const request = agentRequest();
      const result = prove(request, signRequest(request, AGENT_42_SIGNER));
      expect(result).toEqual({ ok: true, id: 'agent-42', principal: REGISTRY.principals['agent-42'], keyId: AGENT_42_SIGNER.keyId });
    });
  });

  describe('when the actor is not in the registry', () => {
    it.each(['agent-99', 'constructor', '__proto__', 'toString'])('refuses %s as unknown_actor, whatever the signature', (id) => {
      const request = agentRequest({ actor: { id, type: 'agent' } });
      const result = prove(request, signRequest(request, AGENT_42_SIGNER));
      expect(refusal(result).reason).toBe('unknown_actor');
    });

    it('refuses it even with the signature assumed', () => {
      expect(refusal(prove(agentRequest({ actor: { id: 'agent-99', type: 'agent' } }), undefined, { assumeSigned: true })).reason).toBe('unknown_actor');
    });
  });

  describe('when agent-42 claims to be a human', () => {
    const request = agentRequest({ actor: { id: 'agent-42', type: 'human' } });

    it('is unknown_actor, though the signature over that body is its own', () => {
      const { reason, detail } = refusal(prove(request, signRequest(request, AGENT_42_SIGNER)));
      expect(reason).toBe('unknown_actor');
      expect(detail).toContain('"agent"');
    });

    it('is unknown_actor with the signature assumed too', () => {
      expect(refusal(prove(request, undefined, { assumeSigned: true })).reason).toBe('unknown_actor');
    });
  });

  describe('when there is no signature', () => {
    it.each([
      ['undefined', undefined],
      ['null', null],
    ])('refuses %s as bad_signature where unsigned requests are not allowed', (_, signature) => {
      expect(refusal(prove(agentRequest(), signature)).reason).toBe('bad_signature');
    });

    it('accepts it where unsigned requests are allowed (a shadow surface that opted in), naming no key', () => {
      expect(prove(agentRequest(), undefined, { allowUnsigned: true })).toMatchObject({ ok: true, id: 'agent-42', keyId: null });
    });
  });

  describe('when the signature is assumed (policy cases, replays)', () => {
    it('proves a registered actor without a signature, naming no key', () => {
      expect(prove(agentRequest(), undefined, { assumeSigned: true })).toMatchObject({ ok: true, keyId: null });
    });

    it('is not assumed for a truthy value other than true', () => {
      expect(refusal(prove(agentRequest(), undefined, { assumeSigned: 'yes' as never })).reason).toBe('bad_signature');
    });
  });

  describe('when the string "assumed" is passed as the signature', () => {
    it.each([
      ['signed only', false],
      ['unsigned allowed', true],
    ])('is a malformed signature, not a skipped one (%s)', (_, allowUnsigned) => {
      expect(refusal(prove(agentRequest(), 'assumed', { allowUnsigned })).reason).toBe('bad_signature');
    });
  });

  describe('when the signature object is malformed', () => {
    const valid = signRequest(agentRequest(), AGENT_42_SIGNER);
    it.each([
      ['an empty string', ''],
      ['a number', 42],
      ['true', true],
      ['a list', [valid]],
      ['no sig', { keyId: valid.keyId }],
      ['no keyId', { sig: valid.sig }],
      ['a keyId that is not one', { keyId: 'agent-42', sig: valid.sig }],
      ['a sig that is not base64url', { keyId: valid.keyId, sig: `${valid.sig.slice(0, -2)}+/` }],
      ['a sig of 63 bytes', { keyId: valid.keyId, sig: encodeBase64url(new Uint8Array(63)) }],
      ['an unknown member', { ...valid, alg: 'Ed25519' }],
    ])('is bad_signature for %s', (_, signature) => {
      expect(refusal(prove(agentRequest(), signature)).reason).toBe('bad_signature');
    });
  });

  describe('when the key belongs to another principal', () => {
    it('is bad_signature for a valid signature by alice on agent-42\'s request', () => {
      const request = agentRequest();
      const { reason, detail } = refusal(prove(request, signRequest(request, ALICE_SIGNER)));
      expect(reason).toBe('bad_signature');
      expect(detail).toContain(ALICE_SIGNER.keyId);
    });

    it('is bad_signature for alice\'s signature under agent-42\'s key id', () => {
      const request = agentRequest();
      const forged = { keyId: AGENT_42_SIGNER.keyId, sig: signRequest(request, ALICE_SIGNER).sig };
      expect(refusal(prove(request, forged)).reason).toBe('bad_signature');
    });
  });

  describe('when the key is not valid at the instant', () => {
    const request = agentRequest();
    const signature = signRequest(request, AGENT_42_SIGNER);
    const at = (iso: string, ms = 0) => new Date(Date.parse(iso) + ms);

    it.each([
      ['a millisecond before validFrom', at(AGENT_42_KEY_FROM, -1)],
      ['at validUntil', at(AGENT_42_KEY_UNTIL)],
      ['a year after validUntil', at(AGENT_42_KEY_UNTIL, 365 * 86_400_000)],
      ['an invalid date', new Date('not a date')],
    ])('is bad_signature %s', (_, now) => {
      expect(refusal(prove(request, signature, { now })).reason).toBe('bad_signature');
    });

    it.each([
      ['at validFrom', at(AGENT_42_KEY_FROM)],
      ['a millisecond before validUntil', at(AGENT_42_KEY_UNTIL, -1)],
    ])('is accepted %s', (_, now) => {
      expect(prove(request, signature, { now })).toMatchObject({ ok: true, keyId: AGENT_42_SIGNER.keyId });
    });
  });

  describe('when the signature is over another request', () => {
    it('is bad_signature for a signature of the same request with another amount', () => {
      const signed = signRequest(agentRequest({ context: { amount: 12_000, currency: 'EUR' } }), AGENT_42_SIGNER);
      expect(refusal(prove(agentRequest({ context: { amount: 12_000_000, currency: 'EUR' } }), signed)).reason).toBe('bad_signature');
    });

    it('is bad_signature for a signature of the bare hash, without the domain line', () => {
      const request = agentRequest();
      const sig = encodeBase64url(AGENT_42_SIGNER.sign(new TextEncoder().encode(requestHash(request))));
      expect(refusal(prove(request, { keyId: AGENT_42_SIGNER.keyId, sig })).reason).toBe('bad_signature');
    });
  });
});
