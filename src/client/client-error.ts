import { ActionGateError } from '../errors.js';

export type ClientErrorCode =
  /** The key was first used for a different request; nothing was evaluated or dispatched for this one. */
  | 'IDEMPOTENCY_CONFLICT'
  /** The Temporal server could not be reached. */
  | 'TEMPORAL_UNAVAILABLE'
  /** The action's workflow ended without a result (terminated, timed out, failed). */
  | 'ACTION_FAILED'
  /** HTTP API: no credentials, or credentials the server does not accept (401); nothing was started. */
  | 'UNAUTHENTICATED'
  /** HTTP API: the caller may not do this, e.g. the request's actor is not the authenticated principal (403); nothing was started. */
  | 'FORBIDDEN'
  /** HTTP API: too many requests from this principal (429); `details.retryAfterSeconds` says when to try again. */
  | 'RATE_LIMITED'
  /** HTTP API: the server, or Temporal or Postgres behind it, did not answer (5xx, network error, timeout). Safe to retry with the same key. */
  | 'UNAVAILABLE'
  /** HTTP API: any other answer the client cannot use (a redirect, 413, 415, a body that is not the documented JSON). */
  | 'HTTP_ERROR';

export class ClientError extends ActionGateError<ClientErrorCode> {}
