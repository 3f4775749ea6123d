import type pg from 'pg';

/**
 * Runs `work` on a client checked out of the pool, and gives the client back. A held client whose
 * connection is lost (a terminated backend, a Postgres shutdown, a network cut) emits 'error';
 * with no listener Node throws it and the process dies. Here that error only fails the work in
 * flight (its next query rejects), and a client that lost its connection, or whose work failed
 * half-way through a transaction, is discarded rather than returned to the pool.
 *
 * @example
 * const rows = await withPooledClient(pool, async (client) => {
 *   await client.query('BEGIN');
 *   // ...
 * });
 */
export async function withPooledClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  const client = await checkOut(pool, onError);
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // Released with an error, the pool ends the client; its idle listener takes any later 'error'.
    client.removeListener('error', onError);
    client.release(lost ?? failure);
  }
}

/**
 * pool.connect() with `onError` attached in the pool's own callback. Not `await pool.connect()`:
 * a client handed over while its socket's data is being parsed (another query released it) can
 * read its backend's termination in that same chunk, before a promise continuation would run.
 */
function checkOut(pool: pg.Pool, onError: (err: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((err, client) => {
      if (err || !client) {
        reject(err ?? new Error('the pool gave no client'));
        return;
      }
      client.on('error', onError);
      resolve(client);
    });
  });
}
