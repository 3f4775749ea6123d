// Connector credentials: header values from environment variables or files, referenced in
// surfaces.json, resolved when a policy set is loaded, never written anywhere.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify-bundle.js';
import { ConnectorError } from '../../src/connectors/connector.js';
import { resolveHeaders } from '../../src/connectors/connector-secrets.js';
import { connectorsFromRegistry } from '../../src/connectors/connectors-from-registry.js';
import { PolicyConnectors } from '../../src/connectors/policy-connectors.js';
import { BundleStorePolicySource } from '../../src/policy/bundle-policy-source.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { parseSurfaceRegistry } from '../../src/policy/surface-registry.js';
import type { Activation, BundleStoreReader, StoredBundle } from '../../src/store/bundle-store.js';
import { newSigner, signedBundle, trustedKeys } from '../support/bundles.js';
import { policiesVariant } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

function registryWithHeaders(headers: unknown): string {
  return JSON.stringify({
    version: 1,
    surfaces: { payments: { connector: { kind: 'http', url: 'http://127.0.0.1:8787/payments', headers } } },
  });
}

function invalid(text: string): PolicyError {
  try {
    parseSurfaceRegistry(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('parsed, but should not have');
}

function failure(fn: () => unknown): ConnectorError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('did not throw');
}

describe('surfaces.json connector headers', () => {
  it('accepts env and file references with a prefix, and plain values for other headers', () => {
    const registry = parseSurfaceRegistry(
      registryWithHeaders({
        Authorization: { env: 'PAYMENTS_API_TOKEN', prefix: 'Bearer ' },
        'X-Api-Key': { file: '/run/secrets/payments_key' },
        'X-Tenant': 'acme',
      }),
    );
    expect(registry.surfaces.payments?.connector.headers).toEqual({
      Authorization: { env: 'PAYMENTS_API_TOKEN', prefix: 'Bearer ' },
      'X-Api-Key': { file: '/run/secrets/payments_key' },
      'X-Tenant': 'acme',
    });
  });

  it.each(['Authorization', 'X-Api-Key', 'X-Auth-Token', 'Proxy-Authorization', 'Cookie', 'X-Client-Secret'])(
    'refuses an inline value for %s, naming the field',
    (name) => {
      const error = invalid(registryWithHeaders({ [name]: 'Bearer sk_live_inline' }));
      expect(error.details?.['issues']).toEqual([
        { path: `surfaces.payments.connector.headers.${name}`, message: expect.stringContaining('looks like a credential') },
      ]);
    },
  );

  it.each(['Idempotency-Key', 'content-type', 'Content-Length', 'Host', 'X-ActionGate-Surface'])('refuses %s, which the connector sets itself', (name) => {
    const error = invalid(registryWithHeaders({ [name]: { env: 'SOME_VAR' } }));
    expect(error.message).toContain(`surfaces.payments.connector.headers.${name}: is set by the connector itself`);
  });

  it.each(['Bad Header', 'X-Ü', '', 'X:Y'])('refuses the header name %j', (name) => {
    const error = invalid(registryWithHeaders({ [name]: { env: 'SOME_VAR' } }));
    expect(error.message).toContain('is not a valid HTTP header name');
  });

  it('refuses the same header twice in different case', () => {
    expect(invalid(registryWithHeaders({ 'X-Tenant': 'a', 'x-tenant': 'b' })).message).toContain('is given twice');
  });

  it.each([
    [{ env: 'lower-case-not-ok' }, 'environment variable name'],
    [{ env: 'ACTIONGATE_DATABASE_URL' }, "worker's own configuration"],
    // The worker's own credentials: a bundle (which also picks the URL) must not send them out.
    [{ env: 'DATABASE_URL' }, "worker's own configuration and credentials"],
    [{ env: 'TEMPORAL_API_KEY' }, "worker's own configuration and credentials"],
    [{ env: 'PGPASSWORD' }, "worker's own configuration and credentials"],
    [{ file: 'relative/path' }, 'absolute path'],
    [{ env: 'TOKEN', prefix: 'Bearer sk_live_0123456789abcdefghijklmnop' }, 'short scheme'],
    [{ env: 'TOKEN', value: 'x' }, 'unknown field'],
    [{ env: 'TOKEN', file: '/x' }, 'must be { "env": "VAR" } or { "file": "/path" }'],
    ['line\nbreak', 'printable ASCII'],
  ])('refuses the header value %j', (value, message) => {
    const error = invalid(registryWithHeaders({ 'X-Thing': value }));
    expect(error.message).toContain('surfaces.payments.connector.headers.X-Thing');
    expect(error.message).not.toContain('Invalid input');
    expect(error.message).toContain(message);
  });

  it('refuses credentials in the URL', () => {
    const text = JSON.stringify({ version: 1, surfaces: { payments: { connector: { kind: 'http', url: 'https://user:pw@pay.example/x' } } } });
    expect(invalid(text).message).toContain('surfaces.payments.connector.url: must not carry credentials');
  });
});

describe('resolveHeaders', () => {
  const CANARY = 'canary-7f3a9c';

  it('reads env and file values, trims one trailing newline from a file, and adds the prefix', async () => {
    const file = join(await tempDir('actiongate-secret-'), 'key');
    await writeFile(file, `${CANARY}-file\n`);
    const headers = resolveHeaders(
      'payments',
      { Authorization: { env: 'PAY_TOKEN', prefix: 'Bearer ' }, 'X-Api-Key': { file }, 'X-Tenant': 'acme' },
      { env: { PAY_TOKEN: CANARY } },
    );
    expect(headers).toEqual({
      headers: { Authorization: `Bearer ${CANARY}`, 'X-Api-Key': `${CANARY}-file`, 'X-Tenant': 'acme' },
      secrets: [CANARY, `${CANARY}-file`],
    });
  });

  it('names the surface, header and variable of a missing variable', () => {
    const error = failure(() => resolveHeaders('payments', { Authorization: { env: 'PAY_TOKEN' } }, { env: {} }));
    expect(error.code).toBe('CONNECTOR_SECRET_UNAVAILABLE');
    expect(error.message).toBe('surface payments: header Authorization: environment variable PAY_TOKEN is not set');
    expect(error.details).toEqual({ surface: 'payments', header: 'Authorization', env: 'PAY_TOKEN' });
  });

  it.each([
    ['an ActionGate private key file (the receipt key)', JSON.stringify({ version: 1, keyId: 'ed25519:x', privateKey: 'x' })],
    ['a PEM private key on one line', '-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIA-----END PRIVATE KEY-----'],
  ])('refuses to send %s read from a file', (_what, content) => {
    const error = failure(() => resolveHeaders('payments', { 'X-Api-Key': { file: '/run/secrets/actiongate_receipt_key' } }, { readFile: () => content }));
    expect(error.message).toBe('surface payments: header X-Api-Key: file /run/secrets/actiongate_receipt_key holds a private key; a connector header is never a private key');
  });

  it('names the file and why it cannot be read', () => {
    const error = failure(() => resolveHeaders('payments', { 'X-Api-Key': { file: '/nonexistent/payments_key' } }));
    expect(error.message).toBe('surface payments: header X-Api-Key: file /nonexistent/payments_key cannot be read (ENOENT)');
  });

  it.each([
    ['', 'is empty'],
    [`${CANARY}\r\nX-Injected: 1`, 'holds characters a header value cannot'],
    [` ${CANARY}`, 'holds characters a header value cannot'],
    [`${CANARY}é`, 'holds characters a header value cannot'],
  ])('refuses the value %j without quoting it', (value, problem) => {
    const error = failure(() => resolveHeaders('payments', { Authorization: { env: 'PAY_TOKEN' } }, { env: { PAY_TOKEN: value } }));
    expect(error.message).toContain(`surface payments: header Authorization: environment variable PAY_TOKEN ${problem}`);
    expect(JSON.stringify({ message: error.message, details: error.details, stack: error.stack })).not.toContain(CANARY);
  });
});

describe('connectorsFromRegistry', () => {
  it('keeps the reference in the registry (what gets logged and serialised), the value in the connector', () => {
    const registry = parseSurfaceRegistry(registryWithHeaders({ Authorization: { env: 'PAY_TOKEN', prefix: 'Bearer ' } }));
    const connectors = connectorsFromRegistry(registry, { env: { PAY_TOKEN: 'canary-in-memory' } });
    expect(connectors.surfaces()).toEqual(['payments']);
    expect(JSON.stringify(registry)).not.toContain('canary-in-memory');
    expect(JSON.stringify(connectors.get('payments'))).not.toContain('canary-in-memory');
  });

  it('throws CONNECTOR_SECRET_UNAVAILABLE for a missing secret', () => {
    const registry = parseSurfaceRegistry(registryWithHeaders({ Authorization: { env: 'PAY_TOKEN' } }));
    expect(failure(() => connectorsFromRegistry(registry, { env: {} })).message).toContain('environment variable PAY_TOKEN is not set');
  });
});

describe('a bundle whose connector secret is missing', () => {
  async function storeWith(withSecret: boolean) {
    const signer = newSigner();
    const trusted = trustedKeys(signer);
    const dir = await policiesVariant({
      editRegistry: (r) => {
        (r.surfaces['payments'] as { connector: Record<string, unknown> }).connector['headers'] = { Authorization: { env: 'BUNDLE_TEST_TOKEN', prefix: 'Bearer ' } };
      },
    });
    const bundle = await signedBundle(signer, { dir });
    const digest = verifyBundle(bundle.text, trusted, new Date()).digest;
    const stored: StoredBundle = { digest, version: bundle.version, revision: bundle.revision, keyId: signer.keyId, gitCommit: null, text: bundle.text, publishedAt: new Date().toISOString(), publishedBy: 'test' };
    const activation: Activation = { seq: '1', digest, version: bundle.version, revision: bundle.revision, previousDigest: null, previousVersion: null, previousRevision: null, activatedBy: 'test', activatedAt: new Date().toISOString(), rollback: false, note: null };
    const store: BundleStoreReader = { lastActivation: async () => activation, get: async (d) => (d === digest ? stored : undefined) };
    const lines: string[] = [];
    const env = withSecret ? { BUNDLE_TEST_TOKEN: 'canary-bundle' } : {};
    const connectors: PolicyConnectors = new PolicyConnectors({ current: () => source.lastVerifiedActive(), pinned: (d) => source.pinned(d) }, { env });
    const source: BundleStorePolicySource = new BundleStorePolicySource({ store, trusted, log: (l) => lines.push(l), accept: (set) => connectors.prepare(set), pollMs: 60_000 });
    return { source, connectors, digest, lines };
  }

  it('is rejected when activated, logged naming the surface and the variable, and never used (no fallback)', async () => {
    const { source, connectors, digest, lines } = await storeWith(false);
    try {
      const state = await source.start();
      expect(state).toMatchObject({ kind: 'rejected', code: 'CONNECTOR_SECRET_UNAVAILABLE' });
      expect(lines.join('\n')).toContain('POLICY BUNDLE REJECTED: CONNECTOR_SECRET_UNAVAILABLE: bundle ');
      expect(lines.join('\n')).toContain('surface payments: header Authorization: environment variable BUNDLE_TEST_TOKEN is not set');
      await expect(source.active()).rejects.toMatchObject({ code: 'POLICY_UNAVAILABLE' });
      expect(await source.pinned(digest)).toBeUndefined();
      expect(await connectors.forPolicy(digest)).toBeUndefined();
      expect(() => connectors.get('payments')).toThrow(/no verified policy bundle is active/);
    } finally {
      await source.close();
    }
  });

  it('is used when the secret is there', async () => {
    const { source, connectors, digest, lines } = await storeWith(true);
    try {
      expect((await source.start()).kind).toBe('ready');
      expect((await connectors.forPolicy(digest))?.surfaces()).toContain('payments');
      expect(lines.join('\n')).not.toContain('canary-bundle');
    } finally {
      await source.close();
    }
  });
});
