import { verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { decodeBase64url, encodeBase64url } from '../keys/base64url.js';
import { ED25519_SIGNATURE_BYTES, publicKeyObject } from '../keys/ed25519-verify.js';
import { KEY_ID_PATTERN } from '../keys/key-id.js';
import type { Signer } from '../keys/signer.js';
import type { ActionRequest } from '../request/action-request.js';
import type { Digest } from '../request/digest.js';
import { requestHash } from '../request/request-hash.js';
import type { Principal, PrincipalKey, PrincipalRegistry } from './principal-registry.js';

/** Domain separation: a request signature can never be read as a receipt, bundle or approval signature. */
export const REQUEST_SIGNATURE_DOMAIN = 'actiongate/request/v1\n';

/**
 * Domain of a gateway's attestation: "I authenticated this request's actor, and it sent this request".
 * A different domain from the actor's own signature, so neither can be replayed as the other.
 */
export const GATEWAY_ATTESTATION_DOMAIN = 'actiongate/gateway-attestation/v1\n';

/**
 * A detached signature over a request's hash: by one of its actor's request keys, or an attestation
 * by the gateway key of a principal the actor lists in `attestedBy`.
 */
export const RequestSignatureSchema = z.strictObject({
  keyId: z.string().regex(KEY_ID_PATTERN, { error: 'must be ed25519: and 32 lower-case hex digits' }),
  sig: z.string().refine((text) => decodeBase64url(text, 64) !== undefined, {
    error: 'must be a 64-byte Ed25519 signature, base64url without padding',
  }),
});
export type RequestSignature = z.infer<typeof RequestSignatureSchema>;

/** The bytes signed: the domain line, then the request hash (`sha256:` + 64 hex) as UTF-8. */
export function requestSigningInput(hash: Digest): Uint8Array {
  return new TextEncoder().encode(`${REQUEST_SIGNATURE_DOMAIN}${hash}`);
}

/** The bytes a gateway signs to attest a request's actor: its domain line, then the request hash. */
export function gatewayAttestationInput(hash: Digest): Uint8Array {
  return new TextEncoder().encode(`${GATEWAY_ATTESTATION_DOMAIN}${hash}`);
}

/**
 * Attests a request with a gateway's key, after the gateway authenticated its actor.
 *
 * @example const signature = attestRequest(request, createSigner(pem, 'gateway.key'));
 */
export function attestRequest(request: ActionRequest, gateway: Signer): RequestSignature {
  return { keyId: gateway.keyId, sig: encodeBase64url(gateway.sign(gatewayAttestationInput(requestHash(request)))) };
}

/**
 * Signs a request as its actor.
 *
 * @example const signature = signRequest(request, createSigner(pem, 'agent-42.key'));
 */
export function signRequest(request: ActionRequest, signer: Signer): RequestSignature {
  return { keyId: signer.keyId, sig: encodeBase64url(signer.sign(requestSigningInput(requestHash(request)))) };
}

/**
 * Who asked, as the gate proved it. `keyId` null: accepted unsigned (shadow mode only) or assumed
 * (policy cases). `attestedBy`: the gateway whose key `keyId` is, when a gateway vouched for the actor.
 */
export type ProvenActor =
  | { ok: true; id: string; principal: Principal; keyId: string | null; attestedBy?: string }
  | { ok: false; reason: 'unknown_actor' | 'bad_signature'; detail: string };

/**
 * Proves the request's actor from the registry: the actor must be declared, the body's
 * `actor.type` must be its declared type, and the signature must verify with one of its keys
 * valid at `now`. No signature (`undefined`) is accepted only when `allowUnsigned` (a shadow
 * surface that opted in); `assumeSigned` skips the signature (policy cases, replays of recorded
 * decisions) and is an option of the code, never a value a caller's input can carry.
 *
 * @example
 * const actor = proveActor(registry, request, signature, { now, allowUnsigned: false });
 * if (!actor.ok) return silence(actor.reason, actor.detail);
 */
export function proveActor(
  registry: PrincipalRegistry,
  request: ActionRequest,
  signature: unknown,
  options: { now: Date; allowUnsigned: boolean; assumeSigned?: boolean },
): ProvenActor {
  const id = request.actor.id;
  const principal = Object.hasOwn(registry.principals, id) ? registry.principals[id] : undefined;
  if (!principal) return { ok: false, reason: 'unknown_actor', detail: `actor.id "${id}" is not in principals.json` };
  if (principal.type !== request.actor.type) {
    return {
      ok: false,
      reason: 'unknown_actor',
      detail: `actor.type "${request.actor.type}" is not the registered type of ${id} ("${principal.type}")`,
    };
  }
  if (options.assumeSigned === true) return { ok: true, id, principal, keyId: null };
  if (signature === undefined || signature === null) {
    if (options.allowUnsigned) return { ok: true, id, principal, keyId: null };
    return { ok: false, reason: 'bad_signature', detail: 'the request is not signed, and this surface accepts only signed requests' };
  }
  const parsed = RequestSignatureSchema.safeParse(signature);
  if (!parsed.success) return { ok: false, reason: 'bad_signature', detail: `signature: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'} ${i.message}`).join('; ')}` };
  const own = principal.keys.find((candidate) => candidate.keyId === parsed.data.keyId);
  const gatewayId = own ? undefined : principal.attestedBy.find((g) => registry.principals[g]?.keys.some((k) => k.keyId === parsed.data.keyId));
  const key = own ?? (gatewayId === undefined ? undefined : registry.principals[gatewayId]?.keys.find((k) => k.keyId === parsed.data.keyId));
  if (!key) {
    const gateways = principal.attestedBy.length > 0 ? ` nor of a gateway it lists in attestedBy (${principal.attestedBy.join(', ')})` : '';
    return { ok: false, reason: 'bad_signature', detail: `key ${parsed.data.keyId} is not a key of ${id}${gateways}` };
  }
  const owner = gatewayId ?? id;
  const expected = gatewayId === undefined ? 'request' : 'gateway';
  if (key.purpose !== expected) {
    const signs = key.purpose === 'operator' ? 'operator approvals' : key.purpose === 'gateway' ? 'gateway attestations' : 'its own requests';
    return { ok: false, reason: 'bad_signature', detail: `key ${key.keyId} of ${owner} signs ${signs}, not ${gatewayId === undefined ? 'requests' : 'attestations'}` };
  }
  const at = options.now.getTime();
  if (!Number.isFinite(at)) return { ok: false, reason: 'bad_signature', detail: 'no valid clock to check the key against' };
  if (key.validFrom !== undefined && at < Date.parse(key.validFrom)) {
    return { ok: false, reason: 'bad_signature', detail: `key ${key.keyId} of ${owner} is valid from ${key.validFrom}` };
  }
  if (key.validUntil !== undefined && at >= Date.parse(key.validUntil)) {
    return { ok: false, reason: 'bad_signature', detail: `key ${key.keyId} of ${owner} expired at ${key.validUntil}` };
  }
  const sig = decodeBase64url(parsed.data.sig, 64) as Uint8Array;
  const hash = requestHash(request);
  const input = gatewayId === undefined ? requestSigningInput(hash) : gatewayAttestationInput(hash);
  if (!verifyWithKey(key, input, sig)) {
    const what = gatewayId === undefined ? 'signature' : `attestation by gateway ${gatewayId}`;
    return { ok: false, reason: 'bad_signature', detail: `the ${what} does not verify with key ${key.keyId} of ${owner} over this request` };
  }
  return gatewayId === undefined ? { ok: true, id, principal, keyId: key.keyId } : { ok: true, id, principal, keyId: key.keyId, attestedBy: gatewayId };
}

/**
 * Each key entry's public key as Node parsed it (a JWK import, several µs), kept beside the entry
 * so a decision does not import it again; null for a key that does not parse. The entry's own
 * text is kept too and compared, so an entry changed in place is parsed again.
 */
const parsedKeys = new WeakMap<PrincipalKey, { publicKey: string; keyObject: KeyObject | null }>();

/** The check of verifyEd25519 (src/keys/ed25519-verify.ts): false for a bad key or signature, never a throw; the key parsed once per entry. */
function verifyWithKey(key: PrincipalKey, data: Uint8Array, signature: Uint8Array): boolean {
  let parsed = parsedKeys.get(key);
  if (parsed === undefined || parsed.publicKey !== key.publicKey) {
    parsed = { publicKey: key.publicKey, keyObject: publicKeyObject(key.publicKey) ?? null };
    parsedKeys.set(key, parsed);
  }
  if (parsed.keyObject === null || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verify(null, data, parsed.keyObject, signature);
  } catch {
    return false;
  }
}
