/**
 * SQLSTATE classes of a server that is not (or no longer) there for us: connection exceptions
 * (08), insufficient resources (53: too many connections), operator intervention (57: shut down,
 * terminated, still starting up).
 */
const CONNECTION_CLASSES = new Set(['08', '53', '57']);

/**
 * true when an error (or an error it wraps as `cause`) says the connection to Postgres failed or
 * was lost, rather than that Postgres refused what was asked: a network error (no SQLSTATE), a
 * timeout, a terminated backend. Trying again later can succeed.
 *
 * @example isConnectionError(await pool.query('SELECT 1').catch((e) => e)) // true when Postgres is down
 */
export function isConnectionError(err: unknown): boolean {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 10; e = e.cause) chain.push(e);
  const codes = chain.map((e) => (e as { code?: unknown }).code).filter((code): code is string => typeof code === 'string');
  // Node's socket errors (an AggregateError of them for a name with several addresses) and pg's
  // own messages for a connection it lost or never had.
  if (codes.some((code) => SOCKET_ERRORS.has(code))) return true;
  if (chain.some((e) => e instanceof AggregateError && e.errors.some((inner) => isConnectionError(inner)))) return true;
  // A SQLSTATE decides: Postgres answered, and said why.
  const sqlState = codes.find((code) => SQLSTATE.test(code));
  if (sqlState !== undefined) return CONNECTION_CLASSES.has(sqlState.slice(0, 2));
  return chain.some((e) => PG_CONNECTION_MESSAGES.test(e.message));
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PG_CONNECTION_MESSAGES = /Connection terminated|timeout expired|not queryable/;

/** The first line of what went wrong, also for errors without a message (AggregateError of ECONNREFUSED). */
export function connectionErrorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const first = err.message.split('\n')[0];
  if (first) return first;
  if (err instanceof AggregateError) {
    const inner = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).filter(Boolean);
    if (inner.length > 0) return [...new Set(inner)].join('; ');
  }
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
