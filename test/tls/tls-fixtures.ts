// Test certificates (made with the openssl CLI) and a TLS-terminating proxy in front of the dev server.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** The CA that issued the server and client certificates. */
  caPath: string;
  /** A CA that issued neither. */
  otherCaPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  /** A client certificate issued by the other CA: the proxy does not trust it. */
  strangerCertPath: string;
  strangerKeyPath: string;
  /** A client certificate of the CA naming the principal agent-42 (SAN URI urn:actiongate:principal:agent-42). */
  agentCertPath: string;
  agentKeyPath: string;
}

/** True when the openssl CLI runs here (it makes the certificates). */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await execFileAsync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** A CA, a server certificate for localhost and 127.0.0.1, a client certificate, and a second CA. EC P-256, valid 2 days. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const path = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string, cn: string) =>
    ssl('req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const issue = async (name: string, ca: string, cn: string, extensions: string) => {
    await writeFile(path(`${name}.ext`), extensions);
    await ssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  await Promise.all([makeCa('ca', 'ActionGate test CA'), makeCa('other-ca', 'Some other CA')]);
  const endEntity = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
  await issue('server', 'ca', 'localhost', `${endEntity}extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n`);
  await issue('client', 'ca', 'actiongate-worker', `${endEntity}extendedKeyUsage=clientAuth\n`);
  await issue('stranger', 'other-ca', 'stranger', `${endEntity}extendedKeyUsage=clientAuth\n`);
  await issue('agent', 'ca', 'agent-42 test client', `${endEntity}extendedKeyUsage=clientAuth\nsubjectAltName=URI:urn:actiongate:principal:agent-42\n`);
  return {
    dir,
    caPath: path('ca.pem'),
    otherCaPath: path('other-ca.pem'),
    serverCertPath: path('server.pem'),
    serverKeyPath: path('server.key'),
    clientCertPath: path('client.pem'),
    clientKeyPath: path('client.key'),
    strangerCertPath: path('stranger.pem'),
    strangerKeyPath: path('stranger.key'),
    agentCertPath: path('agent.pem'),
    agentKeyPath: path('agent.key'),
  };
}

export interface TlsProxy {
  /** `127.0.0.1:PORT` */
  address: string;
  /** Handshakes the proxy refused (e.g. no or an untrusted client certificate). */
  refusedHandshakes(): number;
  close(): Promise<void>;
}

/**
 * A real TLS endpoint: terminates TLS (HTTP/2 via ALPN) and pipes the plaintext bytes to `target`
 * (the dev server's gRPC port). With `clientCa`, it requires a client certificate issued by that CA.
 */
export async function startTlsProxy(options: { target: string; certs: TestCertificates; clientCa?: string }): Promise<TlsProxy> {
  const [key, cert] = await Promise.all([readFile(options.certs.serverKeyPath), readFile(options.certs.serverCertPath)]);
  const ca = options.clientCa === undefined ? undefined : await readFile(options.clientCa);
  const [targetHost, targetPort] = splitAddress(options.target);
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const server = tls.createServer(
    { key, cert, ALPNProtocols: ['h2'], ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) },
    (client) => {
      const upstream = net.connect(targetPort, targetHost);
      sockets.add(client);
      sockets.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('tlsClientError', () => refused++);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    refusedHandshakes: () => refused,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
