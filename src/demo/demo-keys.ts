import { createHash, createPrivateKey } from 'node:crypto';
import type { PrivateKeyFile } from '../keys/private-key-file.js';
import { createSigner, type Signer } from '../keys/signer.js';

/**
 * DEMO AND TEST KEYS ONLY. Each sample principal's key is derived from a public label, so anyone
 * can compute its private key: they let `npm start` and the tests sign requests for the sample
 * principals in policies/principals.json. A real deployment replaces principals.json with its own
 * principals and keys (`actiongate keys generate --purpose request`).
 */
export const DEMO_KEY_LABEL = 'actiongate demo key - public, never trust it in production: ';

/** The sample principals that have demo keys (policies/principals.json lists exactly these). */
export const DEMO_PRINCIPALS = [
  'agent-42',
  'agent-analyst',
  'agent-ap-clerk',
  'agent-deployer',
  'agent-sre',
  'agent-support',
  'actiongate-http',
  'alice',
  'bob',
  'carol',
  'dana',
  'olivia',
  'omar',
  'sam',
  'svc-etl',
  'svc-notify',
  'svc-payroll',
] as const;

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The demo signer of a sample principal: seed = sha256(label + id).
 *
 * @example signRequest(request, demoSigner('agent-42'))
 */
export function demoSigner(principalId: string): Signer {
  return createSigner(demoPrivateKeyPem(principalId), `demo key of ${principalId}`);
}

/**
 * The demo key of a sample principal as a private key file (`actiongate submit --key FILE`).
 *
 * @example await writePrivateKeyFile('agent-42.key.json', demoPrivateKeyFile('agent-42'));
 */
export function demoPrivateKeyFile(principalId: string): PrivateKeyFile {
  const signer = demoSigner(principalId);
  return { version: 1, keyId: signer.keyId, privateKey: demoPrivateKeyPem(principalId), publicKey: signer.publicKey };
}

function demoPrivateKeyPem(principalId: string): string {
  const seed = createHash('sha256').update(`${DEMO_KEY_LABEL}${principalId}`).digest();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * DEMO ONLY: the API key `npm start` gives agent-42 on its HTTP API (public: anyone can read it
 * here). A deployment stores only the SHA-256 of its own keys (docs/API.md, "Authentication").
 */
export const DEMO_API_KEY = 'agk_demo_agent-42_public_never_in_production';
