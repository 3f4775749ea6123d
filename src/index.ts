// Public API of ActionGate, listed explicitly.

// Request contract
export {
  ActionRequestSchema,
  MAX_REQUEST_BYTES,
  describeAction,
  parseActionRequest,
  safeParseActionRequest,
  type ActionRequest,
  type ActionRequestInput,
  type JsonValue,
} from './request/action-request.js';
export { RequestError, type RequestIssue } from './request/request-error.js';
export { requestHash } from './request/request-hash.js';
export { canonicalJson, CanonicalJsonError } from './request/canonical-json.js';
export { digestJson, digestsEqual, sha256Text, type Digest } from './request/digest.js';

// Decisions and results
export type { Outcome, PolicyDecision } from './policy/decision.js';
export { GATE_REASONS, type ActionDecision, type ActionResult, type DispatchReport } from './action/action-result.js';

// Policies
export { compilePolicySet, type CompiledPolicySet } from './policy/policy-set.js';
export { readPolicyDir, type PolicyFile } from './policy/policy-files.js';
export { PolicyError } from './policy/policy-error.js';
export { StaticPolicySource, loadStaticPolicySource, type PolicySource } from './policy/policy-source.js';
export type { SurfaceRegistry, SurfaceConfig, ConnectorConfig } from './policy/surface-registry.js';

// Receipts and their store
export type { DecisionReceiptBody, OutcomeReceiptBody, ReceiptBody, ReceiptKind } from './receipt/receipt-body.js';
export { receiptId } from './receipt/receipt-id.js';
export { PgReceiptStore, type ReceiptStore, type StoredReceipt } from './store/receipt-store.js';
export { migrate } from './store/migrate.js';

// Connectors
export { ConnectorError, ConnectorRegistry, defineConnector, type ConnectorHandler, type DispatchContext } from './connectors/connector.js';
export { httpConnector, type HttpConnectorOptions } from './connectors/http-connector.js';

// Client and worker
export { ActionGateClient, type SubmittedAction } from './client/actiongate-client.js';
export { ClientError } from './client/client-error.js';
export { createActionGateWorker, type ActionGateWorkerOptions } from './worker/actiongate-worker.js';
export { ensureSearchAttributes } from './temporal/search-attributes.js';
export { ActionGateError } from './errors.js';
