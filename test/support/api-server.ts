// A real `actiongate serve` stack for tests: a worker on its own task queue dispatching to a fake
// external system, and the HTTP API in front of it, with a JWT issuer (a JWKS file), API keys and
// the demo gateway key. Nothing is mocked: Temporal, Postgres, Cedar and Fastify are the real ones.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { loadStaticPolicySource } from '../../src/policy/policy-source.js';
import { resolveApiConfig } from '../../src/server/api-config.js';
import { hashApiKey } from '../../src/server/authenticate.js';
import { createApiServer } from '../../src/server/http-api.js';
import { startFakeExternalSystem, type FakeExternalSystem } from './fake-external-system.js';
import { connectTemporal, connectorsTo, openPool, startTestWorker, uniqueId, type RunningWorker } from './harness.js';
import { POLICIES_DIR } from './paths.js';
import { tempDir } from './temp-dir.js';

export const TEST_ISSUER = 'https://issuer.test.actiongate';
export const TEST_AUDIENCE = 'actiongate-api';

/** API keys of the test server (fixed, tests only) and the principal each names. */
export const TEST_API_KEYS = {
  'agent-analyst': 'agk_test_analyst_0123456789abcdef0123456789',
} as const;

export interface ApiStack {
  url: string;
  app: FastifyInstance;
  fake: FakeExternalSystem;
  pool: pg.Pool;
  client: Client;
  taskQueue: string;
  /** The test issuer's public keys (a JWKS), as the default configuration's jwksFile holds them. */
  jwks: { keys: unknown[] };
  /** A bearer JWT for the principal, from the test issuer (valid 10 minutes unless `claims` say otherwise). */
  token(principal: string, claims?: Record<string, unknown>, options?: { key?: CryptoKey; audience?: string; expiresIn?: string }): Promise<string>;
  /** A second server on the same stack with other configuration (closed with the stack). */
  another(config: Record<string, unknown>): Promise<{ url: string; app: FastifyInstance }>;
  stop(): Promise<void>;
}

/**
 * Starts the stack. `config` is merged over the default API configuration (JWT + API keys +
 * the demo gateway key of principal actiongate-http, readers: auditor).
 */
export async function startApiStack(options: { config?: Record<string, unknown>; policiesDir?: string } = {}): Promise<ApiStack> {
  const dir = await tempDir('actiongate-api-');
  const fake = await startFakeExternalSystem();
  const pool = openPool();
  const { source, error } = await loadStaticPolicySource(options.policiesDir ?? POLICIES_DIR);
  if (error) throw error;
  const taskQueue = uniqueId('api');
  const worker: RunningWorker = await startTestWorker({ taskQueue, policies: source, connectors: connectorsTo(fake), pool });
  const { client, connection }: { client: Client; connection: Connection } = await connectTemporal();

  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-issuer-1', alg: 'EdDSA', use: 'sig' };
  const jwks = { keys: [jwk] };
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks));
  // The demo gateway key (public: tests and the demo only), as principals.json lists it.
  await writePrivateKeyFile(join(dir, 'gateway.key.json'), demoPrivateKeyFile('actiongate-http'));

  const base = {
    auth: {
      jwt: { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksFile: 'jwks.json' },
      apiKeys: Object.entries(TEST_API_KEYS).map(([principal, key]) => ({ principal, sha256: hashApiKey(key) })),
    },
    gateway: { id: 'actiongate-http', key: 'gateway.key.json' },
    readers: ['auditor'],
  };
  const servers: FastifyInstance[] = [];
  const serve = async (config: Record<string, unknown>) => {
    const loaded = await resolveApiConfig(config, dir, 'test API configuration');
    const app = await createApiServer({ loaded, client, taskQueue, pool, log: () => {} });
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(app);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { url: `${loaded.tls ? 'https' : 'http'}://${loaded.tls ? 'localhost' : '127.0.0.1'}:${port}`, app };
  };
  const main = await serve({ ...base, ...options.config });

  return {
    ...main,
    fake,
    pool,
    client,
    taskQueue,
    jwks,
    async token(principal, claims = {}, tokenOptions = {}) {
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'test-issuer-1' })
        .setIssuer(TEST_ISSUER)
        .setAudience(tokenOptions.audience ?? TEST_AUDIENCE)
        .setSubject(principal)
        .setIssuedAt()
        .setExpirationTime(tokenOptions.expiresIn ?? '10m')
        .sign(tokenOptions.key ?? privateKey);
    },
    another: (config) => serve({ ...base, ...config }),
    async stop() {
      for (const app of servers) await app.close();
      await worker.stop();
      await connection.close();
      await pool.end();
      await fake.close();
    },
  };
}
