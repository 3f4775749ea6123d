// Reading the Temporal connection settings as Temporal's tools do, and the API key on the wire.
import { writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { readTemporalSettings, temporalConnectionOptions, type PemSource } from '../../src/temporal/connection-config.js';
import { tempDir } from '../support/temp-dir.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** The PEM text of an inline source (the SDK keeps it as bytes). */
function dataOf(source: PemSource | undefined): string | undefined {
  return source && 'data' in source ? Buffer.from(source.data).toString() : undefined;
}

describe('readTemporalSettings', () => {
  it('defaults to plaintext localhost:7233, namespace default, when nothing is set', () => {
    const s = readTemporalSettings({});
    expect(s).toMatchObject({ address: 'localhost:7233', addressSet: false, namespace: 'default' });
    expect(s.tls).toBeUndefined();
    expect(s.apiKey).toBeUndefined();
    expect(s.problem).toBeUndefined();
  });

  it('reads the variables the Temporal CLI reads; blank ones count as unset', () => {
    const s = readTemporalSettings({
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_NAMESPACE: ' ',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/ca.pem',
      TEMPORAL_TLS_CLIENT_CERT_PATH: 'client.pem',
      TEMPORAL_TLS_CLIENT_KEY_DATA: PEM,
      TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
    }, '/work');
    expect(s).toMatchObject({ address: 'temporal.example:7233', addressSet: true, namespace: 'default' });
    expect(s.tls?.serverCa).toMatchObject({ path: '/etc/ca.pem' });
    expect(s.tls?.clientCert).toMatchObject({ path: '/work/client.pem' });
    expect(dataOf(s.tls?.clientKey)).toBe(PEM);
    expect(s.tls?.serverName).toBe('frontend.internal');
  });

  it('takes TEMPORAL_TLS_CA_PATH and TEMPORAL_TLS_CA_DATA as aliases of the SERVER_CA_CERT names', () => {
    expect(readTemporalSettings({ TEMPORAL_TLS_CA_PATH: '/ca.pem' }).tls?.serverCa).toMatchObject({ path: '/ca.pem' });
    expect(dataOf(readTemporalSettings({ TEMPORAL_TLS_CA_DATA: PEM }).tls?.serverCa)).toBe(PEM);
    expect(readTemporalSettings({ TEMPORAL_TLS_CA_PATH: '/alias.pem', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/std.pem' }).tls?.serverCa).toMatchObject({ path: '/std.pem' });
  });

  it('TEMPORAL_TLS=true turns TLS on with the system roots; an API key turns it on unless TEMPORAL_TLS=false', () => {
    expect(readTemporalSettings({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
    expect(readTemporalSettings({ TEMPORAL_API_KEY: 'k' }).tls).toEqual({});
    expect(readTemporalSettings({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
  });

  it('reports, without throwing, what cannot be used', () => {
    expect(readTemporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }).problem).toContain('TEMPORAL_TLS_CLIENT_KEY_PATH');
    expect(readTemporalSettings({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }).problem).toContain('TEMPORAL_TLS_SERVER_NAME');
    expect(readTemporalSettings({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }).problem).toContain('no such file');
    expect(readTemporalSettings({ TEMPORAL_PROFILE: 'prod', HOME: '/nonexistent' }).problem).toContain("'prod'");
  });

  describe('with a TOML profile', () => {
    let file: string;
    beforeAll(async () => {
      file = join(await tempDir('actiongate-envconfig-'), 'temporal.toml');
      await writeFile(
        file,
        `[profile.default]\naddress = "localhost:7233"\n\n[profile.cloud]\naddress = "ns.acct.tmprl.cloud:7233"\nnamespace = "ns.acct"\napi_key = "from-file"\n[profile.cloud.tls]\nserver_name = "ns.acct.tmprl.cloud"\n`,
      );
    });

    it('reads the profile TEMPORAL_PROFILE names from TEMPORAL_CONFIG_FILE', () => {
      const config = resolveConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
      expect(config).toMatchObject({ temporalAddress: 'ns.acct.tmprl.cloud:7233', temporalAddressSet: true, temporalNamespace: 'ns.acct' });
      expect(config.temporal?.apiKey).toBe('from-file');
      expect(config.temporal?.tls).toEqual({ serverName: 'ns.acct.tmprl.cloud' });
      expect(config.temporal?.profile).toEqual({ file, name: 'cloud' });
    });

    it('lets variables override the profile', () => {
      const s = readTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other', TEMPORAL_API_KEY: 'from-env' });
      expect(s.namespace).toBe('other');
      expect(s.apiKey).toBe('from-env');
      expect(s.address).toBe('ns.acct.tmprl.cloud:7233');
    });

    it('names a profile that is not in the file', () => {
      expect(readTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }).problem).toContain("'staging'");
    });
  });
});

describe('temporalConnectionOptions', () => {
  it('gives client and worker the same address, TLS and API key', async () => {
    const options = await temporalConnectionOptions(readTemporalSettings({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_API_KEY: 'secret', TEMPORAL_TLS_CA_DATA: PEM, TEMPORAL_TLS_SERVER_NAME: 'n' }));
    for (const side of [options.client, options.worker]) {
      expect(side.address).toBe('h:1');
      expect(side.apiKey).toBe('secret');
      expect(side.tls).toMatchObject({ serverNameOverride: 'n' });
      expect(Buffer.from((side.tls as { serverRootCACertificate: Uint8Array }).serverRootCACertificate).toString()).toBe(PEM);
    }
  });

  it('refuses data that is not PEM, naming it', async () => {
    await expect(temporalConnectionOptions(readTemporalSettings({ TEMPORAL_TLS_CA_DATA: 'not a certificate' }))).rejects.toThrow(/server CA certificate.*not PEM/);
  });
});

// A TLS proxy cannot see the API key; a plaintext HTTP/2 server that records request headers can.
describe('the API key on the wire', () => {
  let server: http2.Http2Server;
  let address: string;
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      authorizations.push(headers.authorization as string | undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '12', 'grpc-message': 'test server' }));
      stream.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('is sent by the client and by the worker connection as authorization: Bearer', async () => {
    // TEMPORAL_TLS=false only so that a plaintext server can read the header.
    const options = await temporalConnectionOptions(readTemporalSettings({ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: 'sekret-key', TEMPORAL_TLS: 'false' }));
    authorizations.length = 0;
    const client = await Connection.connect({ ...options.client, connectTimeout: 5_000 }).catch((err: Error) => err);
    if (!(client instanceof Error)) await client.close();
    expect(authorizations).toContain('Bearer sekret-key');

    authorizations.length = 0;
    const native = await NativeConnection.connect(options.worker).catch((err: Error) => err);
    if (!(native instanceof Error)) await native.close();
    expect(authorizations).toContain('Bearer sekret-key');
  }, 30_000);
});
