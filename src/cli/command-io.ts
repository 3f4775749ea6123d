import type { ActionGateConfig } from './config.js';

/** Where a command writes: `out` is its result (standard output), `log` is progress and warnings (standard error). */
export interface CommandIo {
  out(line: string): void;
  log(line: string): void;
}

/** The shape of every subcommand of a command group (`policy build`, `keys generate`, ...). */
export type Subcommand = (config: ActionGateConfig, args: string[], io: CommandIo) => Promise<number>;
