// The structured logger of `actiongate worker`: pino, one event per line on standard error (JSON by
// default, pino-pretty's human lines with ACTIONGATE_LOG_FORMAT=pretty). The worker's own lines, the
// Temporal SDK's (worker, workflow and activity context loggers) and the core's (forwarded by the
// Runtime) all go through it, each event one line with flat fields.
import { pino, type Logger as Pino, type Level } from 'pino';
import pretty from 'pino-pretty';
import { makeTelemetryFilterString, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import { WORKFLOW_TYPE } from '../../workflows/contract.js';
import { ActionGateError } from '../errors.js';
import type { LogFields, LogLine } from '../logging/log-line.js';
import { CliError } from './cli-error.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Everything the worker logs through. */
export interface WorkerLogging {
  /** The worker's own lines (start-up, policies, health); fields become JSON fields. */
  log: LogLine;
  /** For `Runtime.install({ logger })`: the SDK's and (forwarded) the core's events. */
  sdk: SdkLogger;
  /** For bundleWorkflowCode: its INFO (bundle size, webpack statistics) is logged at debug. */
  bundler: SdkLogger;
  /** The core's log filter (`telemetryOptions.logging.filter`) for this level. */
  coreFilter: string;
  /** Logs an error that ends the worker as one fatal line; returns the exit status the CLI contract gives it. */
  failed(err: unknown): number;
}

export interface WorkerLoggerOptions {
  /** ACTIONGATE_LOG_LEVEL as given (default info). */
  level: string | undefined;
  /** ACTIONGATE_LOG_FORMAT as given (default json). */
  format: string | undefined;
  /** Where lines go (default standard error, written synchronously so nothing is lost at exit). */
  destination?: NodeJS.WritableStream;
}

/**
 * @throws CliError USAGE naming ACTIONGATE_LOG_LEVEL or ACTIONGATE_LOG_FORMAT when either is not one of its values.
 *
 * @example const logging = createWorkerLogging({ level: config.logLevel, format: config.logFormat });
 */
export function createWorkerLogging(options: WorkerLoggerOptions): WorkerLogging {
  const level = parseLogLevel(options.level);
  const format = parseLogFormat(options.format);
  const logger = format === 'json' ? jsonLogger(level, options.destination) : prettyLogger(level, options.destination);
  const stacks = () => logger.isLevelEnabled('debug');
  return {
    log: (line, fields) => {
      const { level: at = 'info', ...rest } = fields ?? {};
      logger[at](flatFields(rest, stacks()), line);
    },
    sdk: sdkLogger(logger, stacks, false),
    bundler: sdkLogger(logger, stacks, true),
    coreFilter: makeTelemetryFilterString({ core: coreLevel(level), other: level === 'trace' || level === 'debug' ? 'WARN' : 'ERROR' }),
    failed: (err) => {
      const { message, fields, exitCode } = describeFailure(err);
      logger.fatal(flatFields(fields, true), message);
      return exitCode;
    },
  };
}

export function parseLogLevel(value: string | undefined): Level {
  if (value === undefined) return 'info';
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliError('USAGE', `ACTIONGATE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(value)}`);
  return level as Level;
}

export function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined) return 'json';
  const format = value.toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new CliError('USAGE', `ACTIONGATE_LOG_FORMAT must be json or pretty, not ${JSON.stringify(value)}`);
  return format as LogFormat;
}

function jsonLogger(level: Level, destination: NodeJS.WritableStream | undefined): Pino {
  return pino(
    { level, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

function prettyLogger(level: Level, destination: NodeJS.WritableStream | undefined): Pino {
  // singleLine: the fields on the message's line, so an event is still one line.
  return pino({ level }, pretty({ destination: destination ?? 2, sync: true, singleLine: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}

const SDK_LEVELS: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The SDK's Logger interface over pino; `demote`: INFO becomes debug (the bundler's statistics). */
function sdkLogger(logger: Pino, stacks: () => boolean, demote: boolean): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const at = demote && level === 'INFO' ? 'debug' : SDK_LEVELS[level];
    if (!logger.isLevelEnabled(at)) return;
    logger[at](sdkFields(meta, stacks()), message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

function coreLevel(level: Level): LogLevel {
  return level === 'fatal' ? 'ERROR' : (level.toUpperCase() as LogLevel);
}

/** SDK attributes that mean the same as ours under another name, or nothing to an operator. */
const SDK_RENAMED: Record<string, string | null> = { workflowRunId: 'runId', taskToken: null };

/**
 * The SDK's metadata as flat fields: workflowRunId is runId, the workflow ID of a governed action
 * is its idempotencyKey too, errors are message, type and code (the stack only at debug).
 */
export function sdkFields(meta: LogMetadata | undefined, stacks: boolean): Record<string, unknown> {
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    const name = key in SDK_RENAMED ? SDK_RENAMED[key] : key;
    if (name) renamed[name] = value;
  }
  const fields = flatFields(renamed, stacks);
  if (fields.workflowType === WORKFLOW_TYPE && typeof fields.workflowId === 'string' && fields.idempotencyKey === undefined) fields.idempotencyKey = fields.workflowId;
  return fields;
}

/** Nested objects become dotted keys (two levels), then compact JSON; never a multi-line dump. */
export function flatFields(source: Record<string, unknown> | LogFields, stacks: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) put(out, key, value, 0, stacks);
  return out;
}

function put(out: Record<string, unknown>, key: string, value: unknown, depth: number, stacks: boolean): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out[key] = value;
  } else if (typeof value === 'bigint') {
    out[key] = value.toString();
  } else if (value instanceof Date) {
    out[key] = Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  } else if (value instanceof Error) {
    out[key] = value.message;
    out[`${key}Type`] = value.name;
    const code = (value as { code?: unknown }).code ?? (value as { type?: unknown }).type;
    if (typeof code === 'string' || typeof code === 'number') out[`${key}Code`] = code;
    if (value.cause instanceof Error) out[`${key}Cause`] = value.cause.message;
    if (stacks && value.stack) out[`${key}Stack`] = value.stack;
  } else if (Array.isArray(value)) {
    out[key] = value.every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item)) ? value : compactJson(value);
  } else if (depth < 1 && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [sub, inner] of Object.entries(value)) put(out, `${key}.${sub}`, inner, depth + 1, stacks);
  } else {
    out[key] = compactJson(value);
  }
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The message, fields and exit status run() would give the error (src/cli/main.ts), as one event. */
function describeFailure(err: unknown): { message: string; fields: Record<string, unknown>; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, fields: { code: err.code }, exitCode: err.exitCode };
  if (err instanceof ActionGateError) return { message: `${err.code}: ${err.message}`, fields: { code: err.code }, exitCode: 1 };
  const error = err instanceof Error ? err : new Error(String(err));
  return { message: `unexpected error: ${error.message}`, fields: { error }, exitCode: 1 };
}
