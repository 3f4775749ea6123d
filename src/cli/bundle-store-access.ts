import { userInfo } from 'node:os';
import type pg from 'pg';
import { loadKeySet } from '../keys/key-set-schema.js';
import type { KeySet } from '../keys/key-set.js';
import { PgBundleStore } from '../store/bundle-store.js';
import { CliError } from './cli-error.js';
import type { ActionGateConfig } from './config.js';
import { connectDatabase } from './connect-lazy.js';

/**
 * Runs `fn` with a bundle store on DATABASE_URL, closing the pool afterwards. With `trusted`,
 * the store verifies against ACTIONGATE_BUNDLE_KEYS (publish and activate need it).
 */
export async function withBundleStore<T>(
  config: ActionGateConfig,
  options: { trusted: boolean; command: string },
  fn: (store: PgBundleStore) => Promise<T>,
): Promise<T> {
  let trusted: KeySet | undefined;
  if (options.trusted) {
    if (config.bundleKeys === undefined) {
      throw new CliError(
        'CONFIG',
        `${options.command} verifies bundles against the trusted keys: set ACTIONGATE_BUNDLE_KEYS to a key set file (actiongate keys export prints one)`,
      );
    }
    trusted = await loadKeySet(config.bundleKeys);
  }
  const pool = await connectDatabase(config);
  try {
    return await fn(new PgBundleStore(pool, trusted ? { trusted } : {}));
  } catch (err) {
    throw missingTables(err) ?? err;
  } finally {
    await pool.end();
  }
}

/** Who does it: `--by`, else the login name of the user running the command. */
export function operatorName(by: string | undefined, command: string): string {
  if (by !== undefined) {
    if (by.trim() === '') throw new CliError('USAGE', `${command}: --by must not be empty`);
    return by.trim();
  }
  try {
    const name = userInfo().username;
    if (name !== '') return name;
  } catch {
    // A uid without a passwd entry (some containers): say who with --by.
  }
  throw new CliError('USAGE', `${command}: cannot tell who you are; pass --by NAME`);
}

function missingTables(err: unknown): CliError | undefined {
  const pgError = err as Partial<pg.DatabaseError> | undefined;
  if (pgError?.code === '42P01') {
    return new CliError('UNAVAILABLE', `the bundle store tables are missing (${pgError.message}); run actiongate db migrate`);
  }
  return undefined;
}
