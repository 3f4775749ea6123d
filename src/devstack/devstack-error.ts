import { ActionGateError } from '../errors.js';

/**
 * Why the local dev stack (Temporal CLI dev server, embedded Postgres) could not be brought up.
 * - `TEMPORAL_CLI_MISSING`: no runnable `temporal` binary was found and none could be installed.
 * - `TEMPORAL_START_FAILED`: `temporal server start-dev` exited or did not answer in time.
 * - `POSTGRES_START_FAILED`: initdb or postgres failed, or the data dir is held by a live server.
 * - `PROMETHEUS_TOOLS_MISSING`: no runnable promtool and prometheus, and Debian's package could not be unpacked.
 */
export type DevStackErrorCode = 'TEMPORAL_CLI_MISSING' | 'TEMPORAL_START_FAILED' | 'POSTGRES_START_FAILED' | 'PROMETHEUS_TOOLS_MISSING';

export class DevStackError extends ActionGateError<DevStackErrorCode> {}
