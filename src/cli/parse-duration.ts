import { CliError } from './cli-error.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A duration as an operator types it, in milliseconds: a whole number and one unit, s, m, h or d.
 *
 * @throws CliError `USAGE` for anything else, naming the option.
 * @example parseDuration('--older-than', '10m') === 600_000
 */
export function parseDuration(option: string, text: string): number {
  const match = /^(\d{1,9})(s|m|h|d)$/.exec(text);
  if (!match) throw new CliError('USAGE', `${option} takes a duration such as 30s, 10m, 2h or 1d, not ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
