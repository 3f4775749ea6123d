/** Fields of one log event besides its message; flat values (no nested objects), so each event stays one line. */
export type LogFields = { level?: LogLineLevel } & Record<string, string | number | boolean | null | readonly string[] | undefined>;

export type LogLineLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Where a long-running component (the worker, the bundle store's policy source) says what it does.
 * A plain `(line) => void` is one too: commands that print human lines ignore the fields; the
 * worker's structured logger turns them into JSON fields and the level into the event's level.
 *
 * @example log('POLICY BUNDLE REJECTED: ...', { level: 'error', code: 'BAD_SIGNATURE', digest })
 */
export type LogLine = (line: string, fields?: LogFields) => void;
