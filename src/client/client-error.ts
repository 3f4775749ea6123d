import { ActionGateError } from '../errors.js';

export type ClientErrorCode =
  /** The key was first used for a different request; nothing was evaluated or dispatched for this one. */
  | 'IDEMPOTENCY_CONFLICT'
  /** The Temporal server could not be reached. */
  | 'TEMPORAL_UNAVAILABLE'
  /** The action's workflow ended without a result (terminated, timed out, failed). */
  | 'ACTION_FAILED';

export class ClientError extends ActionGateError<ClientErrorCode> {}
