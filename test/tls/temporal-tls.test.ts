// The CLI and the worker connect to Temporal over TLS and mTLS, configured with the TEMPORAL_*
// variables Temporal's own tools read. A real TLS endpoint (Node's tls server, certificates made
// with openssl) sits in front of the test run's dev server and pipes to its plaintext gRPC port.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPrivateKeyFile } from '../../src/demo/demo-keys.js';
import { writePrivateKeyFile } from '../../src/keys/private-key-file.js';
import { startFakeExternalSystem, type FakeExternalSystem } from '../support/fake-external-system.js';
import { paymentRequest, policiesDispatchingTo, testEnv, uniqueId } from '../support/harness.js';
import { runCli, startCliWorker, type CliWorker } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { hasOpenssl, makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from './tls-fixtures.js';

// Debian and the CI image carry openssl; without it there are no certificates to test with.
const opensslMissing = !(await hasOpenssl());

describe.skipIf(opensslMissing)('Temporal over TLS and mTLS (skipped when the openssl CLI is missing: it makes the test certificates)', () => {
  let certs: TestCertificates;
  let tlsProxy: TlsProxy;
  let mtlsProxy: TlsProxy;
  let fake: FakeExternalSystem;
  let base: NodeJS.ProcessEnv;
  let worker: CliWorker | undefined;
  let agentKey: string;

  beforeAll(async () => {
    const dir = await tempDir('actiongate-tls-');
    certs = await makeCertificates(dir);
    const t = testEnv();
    tlsProxy = await startTlsProxy({ target: t.temporalAddress, certs });
    mtlsProxy = await startTlsProxy({ target: t.temporalAddress, certs, clientCa: certs.caPath });
    fake = await startFakeExternalSystem();
    agentKey = join(dir, 'agent-42.key.json');
    await writePrivateKeyFile(agentKey, demoPrivateKeyFile('agent-42'));
    base = {
      TEMPORAL_NAMESPACE: t.namespace,
      DATABASE_URL: t.databaseUrl,
      ACTIONGATE_TASK_QUEUE: uniqueId('tls'),
      ACTIONGATE_POLICIES: await policiesDispatchingTo(fake),
    };
  });

  afterAll(async () => {
    if (worker && worker.process.exitCode === null) {
      worker.process.kill('SIGTERM');
      await new Promise((resolve) => worker?.process.once('exit', resolve));
    }
    await tlsProxy?.close();
    await mtlsProxy?.close();
    await fake?.close();
  });

  const mtlsEnv = () => ({
    ...base,
    TEMPORAL_ADDRESS: mtlsProxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
  });

  it('a worker connects through mTLS, polls, and an action submitted through mTLS is carried out', async () => {
    worker = await startCliWorker(mtlsEnv());
    expect(worker.log()).toContain(`on ${mtlsProxy.address}`);
    const request = paymentRequest();
    const ran = await runCli(['submit', '--key', agentKey, '-'], mtlsEnv(), undefined, JSON.stringify(request));
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(ran.code).toBe(0);
    const result = JSON.parse(ran.stdout);
    expect(result.outcome).toBe('PERMIT');
    expect(result.dispatch.status).toBe('succeeded');
    expect(fake.callsFor(request.idempotencyKey)).toHaveLength(1);
  }, 120_000);

  it('submit --no-wait connects through TLS with TEMPORAL_TLS_CA_PATH, by host name', async () => {
    expect(worker, 'the mTLS worker of the test above decides').toBeDefined();
    const port = tlsProxy.address.split(':')[1];
    const ran = await runCli(['submit', '--no-wait', '--key', agentKey, '-'], {
      ...base,
      TEMPORAL_ADDRESS: `localhost:${port}`,
      TEMPORAL_TLS_CA_PATH: certs.caPath,
    }, undefined, JSON.stringify(paymentRequest()));
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout).outcome).toBe('PERMIT');
  }, 60_000);

  it('a CA that did not issue the server certificate fails quickly, saying TLS and certificate, without a stack trace', async () => {
    const started = Date.now();
    const ran = await runCli(['submit', '-'], { ...base, TEMPORAL_ADDRESS: tlsProxy.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaPath }, undefined, JSON.stringify(paymentRequest()));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(`cannot connect to Temporal at ${tlsProxy.address} (TLS)`);
    expect(ran.stderr).toMatch(/TLS handshake failed: the server certificate is not trusted/);
    expect(ran.stderr).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('no client certificate against the mTLS endpoint fails saying a client certificate is required', async () => {
    const ran = await runCli(['submit', '-'], { ...base, TEMPORAL_ADDRESS: mtlsProxy.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath }, undefined, JSON.stringify(paymentRequest()));
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/TLS handshake failed: the server requires a client certificate \(mTLS\)/);
    expect(ran.stderr).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH');
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a client certificate the mTLS endpoint does not trust fails naming the client certificate', async () => {
    const ran = await runCli(['submit', '-'], {
      ...base,
      TEMPORAL_ADDRESS: mtlsProxy.address,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKeyPath,
    }, undefined, JSON.stringify(paymentRequest()));
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/client certificate/);
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a CA file that cannot be read is a configuration error naming the variable, before any connection', async () => {
    const ran = await runCli(['submit', '-'], { ...base, TEMPORAL_ADDRESS: tlsProxy.address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(certs.dir, 'missing.pem') }, undefined, JSON.stringify(paymentRequest()));
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    expect(ran.stderr).toContain('no such file');
  });

  it('a TOML profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) configures address and mTLS as it does for `temporal`', async () => {
    expect(worker).toBeDefined();
    const file = join(certs.dir, 'temporal.toml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      file,
      [
        '[profile.secure]',
        `address = "${mtlsProxy.address}"`,
        `namespace = "${base.TEMPORAL_NAMESPACE}"`,
        '[profile.secure.tls]',
        `server_ca_cert_path = "${certs.caPath}"`,
        `client_cert_path = "${certs.clientCertPath}"`,
        `client_key_path = "${certs.clientKeyPath}"`,
        '',
      ].join('\n'),
    );
    const { TEMPORAL_NAMESPACE: _ns, ...rest } = base;
    const ran = await runCli(['submit', '--no-wait', '--key', agentKey, '-'], { ...rest, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'secure' }, undefined, JSON.stringify(paymentRequest()));
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout).outcome).toBe('PERMIT');
  }, 60_000);
});
