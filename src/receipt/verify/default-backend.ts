import type { Ed25519Backend } from './ed25519-backend.js';
import { nobleBackend } from './noble-backend.js';

/**
 * Node's built-in crypto where it exists, else the pure-JS back end. Loaded lazily so that
 * importing the verifier never requires `node:crypto`.
 *
 * @example const result = verifyLog(lines, keys, await defaultBackend());
 */
export async function defaultBackend(): Promise<Ed25519Backend> {
  try {
    const { nodeBackend } = await import('./node-backend.js');
    return nodeBackend;
  } catch {
    return nobleBackend;
  }
}
