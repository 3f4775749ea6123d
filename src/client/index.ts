// `actiongate/client`: submit actions to an ActionGate deployment, through Temporal (ActionGateClient)
// or the HTTP API (ActionGateHttpClient). The request contract, the clients, their errors and request
// signing; no worker, no native module, no Postgres, no Cedar, no HTTP server.
export { Client, Connection } from '@temporalio/client';
export { ActionGateClient, WORKFLOW_EXECUTION_TIMEOUT, type SubmitOptions, type SubmittedAction } from './actiongate-client.js';
export { ClientError, type ClientErrorCode } from './client-error.js';
export { ActionGateHttpClient, type HttpClientOptions, type HttpSubmitOptions } from './http-client.js';
export type { ActionState, ActionStatus, HttpProblem, ReceiptKind, ReceiptRecord } from './http-responses.js';
export {
  ActionRequestSchema,
  MAX_REQUEST_BYTES,
  describeAction,
  parseActionRequest,
  safeParseActionRequest,
  type ActionRequest,
  type ActionRequestInput,
  type JsonValue,
} from '../request/action-request.js';
export { RequestError, type RequestIssue } from '../request/request-error.js';
export { requestHash } from '../request/request-hash.js';
export type { Outcome, PolicyDecision } from '../policy/decision.js';
export { GATE_REASONS, HELD_REFUSAL_REASONS, type ActionDecision, type ActionResult, type DispatchReport } from '../action/action-result.js';
export { REQUEST_SIGNATURE_DOMAIN, requestSigningInput, signRequest, type RequestSignature } from '../identity/request-signature.js';
export { createSigner, type Signer } from '../keys/signer.js';
export { parsePrivateKeyFile, readPrivateKeyFile, type PrivateKeyFile } from '../keys/private-key-file.js';
export { ActionGateError } from '../errors.js';
