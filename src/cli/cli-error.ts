import { ActionGateError } from '../errors.js';

/** Exit codes are part of the CLI contract: 2 for bad input, 1 for everything else. */
export type CliErrorCode = 'USAGE' | 'INVALID_INPUT' | 'CONFIG' | 'UNAVAILABLE' | 'FAILED';

export class CliError extends ActionGateError<CliErrorCode> {
  get exitCode(): number {
    return this.code === 'USAGE' || this.code === 'INVALID_INPUT' ? 2 : 1;
  }
}
