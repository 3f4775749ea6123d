import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ActionGateError } from '../errors.js';
import { parseKeySet } from '../keys/key-set-schema.js';
import type { KeySet, KeySetEntry } from '../keys/key-set.js';
import { readPrivateKeyFile } from '../keys/private-key-file.js';
import type { Signer } from '../keys/signer.js';
import { fieldIssues } from '../field-issues.js';

export type ApiConfigErrorCode = 'API_CONFIG_INVALID';
export class ApiConfigError extends ActionGateError<ApiConfigErrorCode> {}

const Path = z.string().min(1).max(4096);
const PrincipalId = z.string().min(1).max(200);

/**
 * The server's configuration file (`actiongate serve --config FILE`, ACTIONGATE_API_CONFIG).
 * Paths are relative to the file's folder. At least one way to authenticate is required: the API
 * never serves an anonymous caller (but for /healthz, /readyz, /openapi.json and /v1/keys).
 */
export const ApiConfigSchema = z
  .strictObject({
    auth: z
      .strictObject({
        /** Bearer JWTs, verified with jose against a JWKS (a URL, or a file). */
        jwt: z
          .strictObject({
            issuer: z.string().min(1),
            audience: z.string().min(1),
            jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
            jwksFile: Path.optional(),
            /** The claim that names the principal (principals.json id). */
            principalClaim: z.string().min(1).default('sub'),
            algorithms: z.array(z.enum(['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'])).min(1).default(['EdDSA', 'ES256', 'RS256']),
          })
          .refine((jwt) => (jwt.jwksUrl === undefined) !== (jwt.jwksFile === undefined), { error: 'give exactly one of jwksUrl and jwksFile' })
          .optional(),
        /**
         * Static API keys, stored as the SHA-256 (hex) of the key: the file holds no secret.
         * `actiongate serve --hash-api-key` prints the hash of a key.
         */
        apiKeys: z
          .array(z.strictObject({ principal: PrincipalId, sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lower-case hex digits' }) }))
          .optional(),
        /** TLS client certificates signed by `ca` (needs `tls`). The principal is a SAN URI urn:actiongate:principal:<id>, or the CN. */
        clientCertificates: z.strictObject({ ca: Path, principalFrom: z.enum(['san-uri', 'cn']).default('san-uri') }).optional(),
      })
      .refine((auth) => auth.jwt !== undefined || (auth.apiKeys?.length ?? 0) > 0 || auth.clientCertificates !== undefined, {
        error: 'configure at least one of jwt, apiKeys, clientCertificates',
      }),
    /** Serve HTTPS with this certificate and key (PEM files). */
    tls: z.strictObject({ cert: Path, key: Path }).optional(),
    /**
     * The gateway's own identity: a principal with a `gateway` key in principals.json, named in the
     * `attestedBy` of the agents it serves. Requests that come without the agent's own signature are
     * attested with this key. Without it, such requests go to the gate unsigned.
     */
    gateway: z.strictObject({ id: PrincipalId, key: Path }).optional(),
    /** Principals that may read every action and receipt (auditors); others read only their own. */
    readers: z.array(PrincipalId).default([]),
    /** Key set files served at GET /v1/keys (the receipt and bundle public keys). */
    keySets: z.array(Path).default([]),
    limits: z
      .strictObject({
        /** Requests per minute per authenticated principal (POST and GET of /v1). */
        perPrincipalPerMinute: z.int().min(1).default(600),
        /** The longest `Prefer: wait=N` honoured, in seconds. */
        maxWaitSeconds: z.int().min(0).max(300).default(60),
        /** Request bodies above this are refused (413). */
        bodyLimitBytes: z.int().min(1_024).max(1_048_576).default(262_144),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.auth.clientCertificates && !config.tls) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'clientCertificates'], message: 'client certificates need "tls" (the server\'s certificate and key)' });
    }
  });

export type ApiConfig = z.infer<typeof ApiConfigSchema>;

/** The configuration with its files read: what the server runs with. */
export interface LoadedApiConfig {
  config: ApiConfig;
  jwks: { keys: unknown[] } | undefined;
  tls: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  gateway: { id: string; signer: Signer } | undefined;
  /** Every configured key set merged, with the gateway's key (purpose gateway). */
  keySet: KeySet;
}

/**
 * Reads and checks the configuration and every file it names, so a bad path or key stops the
 * server at start with the field that names it.
 *
 * @throws ApiConfigError `API_CONFIG_INVALID` naming the field (and file) at fault.
 */
export async function loadApiConfig(file: string): Promise<LoadedApiConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ApiConfigError('API_CONFIG_INVALID', `${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return resolveApiConfig(json, dirname(resolve(file)), file);
}

/** {@link loadApiConfig} for a parsed value; `baseDir` resolves relative paths. */
export async function resolveApiConfig(json: unknown, baseDir: string, name = 'API configuration'): Promise<LoadedApiConfig> {
  const parsed = ApiConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues);
    throw new ApiConfigError('API_CONFIG_INVALID', `${name}: ${issues.map((i) => `${i.path || '(top)'}: ${i.message}`).join('; ')}`, { issues });
  }
  const config = parsed.data;
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const read = async (field: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(at(path));
    } catch (error) {
      throw new ApiConfigError('API_CONFIG_INVALID', `${name}: ${field}: cannot read ${at(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };

  let jwks: LoadedApiConfig['jwks'];
  if (config.auth.jwt?.jwksFile !== undefined) {
    const text = (await read('auth.jwt.jwksFile', config.auth.jwt.jwksFile)).toString('utf8');
    const value = safeJson(text) as { keys?: unknown } | undefined;
    if (!value || !Array.isArray(value.keys)) throw new ApiConfigError('API_CONFIG_INVALID', `${name}: auth.jwt.jwksFile: not a JWKS ({"keys": [...]})`);
    jwks = { keys: value.keys };
  }
  const tls = config.tls
    ? {
        cert: await read('tls.cert', config.tls.cert),
        key: await read('tls.key', config.tls.key),
        ...(config.auth.clientCertificates ? { ca: await read('auth.clientCertificates.ca', config.auth.clientCertificates.ca) } : {}),
      }
    : undefined;
  let gateway: LoadedApiConfig['gateway'];
  if (config.gateway) {
    try {
      gateway = { id: config.gateway.id, signer: await readPrivateKeyFile(at(config.gateway.key)) };
    } catch (error) {
      throw new ApiConfigError('API_CONFIG_INVALID', `${name}: gateway.key: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const keys: KeySetEntry[] = [];
  for (const [index, path] of config.keySets.entries()) {
    const text = (await read(`keySets.${index}`, path)).toString('utf8');
    try {
      keys.push(...parseKeySet(text, at(path)).keys);
    } catch (error) {
      throw new ApiConfigError('API_CONFIG_INVALID', `${name}: keySets.${index}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (gateway) keys.push({ keyId: gateway.signer.keyId, publicKey: gateway.signer.publicKey, purpose: 'gateway' });
  const unique = [...new Map(keys.map((key) => [`${key.keyId}/${key.purpose}`, key])).values()];
  return { config, jwks, tls, gateway, keySet: { version: 1, keys: unique } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
