// Bundled into Temporal workflow code: import types only from action-request.ts (no zod here),
// and nothing Node-specific. digest.ts is pure JS (@noble/hashes).
import type { ActionRequest } from './action-request.js';
import { digestJson, type Digest } from './digest.js';

/**
 * The identity of a request: SHA-256 over its RFC 8785 canonical JSON. Key order does not
 * matter; any change to any field does. An explicit `payload: undefined` hashes like no payload,
 * as it would after a JSON round trip.
 *
 * @example
 * const hash = requestHash(parseActionRequest(input)); // 'sha256:3f0a…' (64 hex digits)
 */
export function requestHash(request: ActionRequest): Digest {
  if ('payload' in request && request.payload === undefined) {
    const { payload: _dropped, ...rest } = request;
    return digestJson(rest);
  }
  return digestJson(request);
}
