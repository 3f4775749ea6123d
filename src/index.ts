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
export { GATE_REASONS, HELD_REFUSAL_REASONS, type ActionDecision, type ActionResult, type DispatchReport } from './action/action-result.js';

// Policies
export { compilePolicySet, type CompiledPolicySet, type CompilePolicySetOptions } from './policy/policy-set.js';
export { readPolicyDir, type PolicyFile } from './policy/policy-files.js';

// Identity: who may ask (principals.json), trusted facts about targets (targets.json), request signatures.
export { parsePrincipalRegistry, type Principal, type PrincipalKey, type PrincipalRegistry } from './identity/principal-registry.js';
export { parseTargetRegistry, type TargetFacts, type TargetRegistry } from './identity/target-registry.js';
export {
  REQUEST_SIGNATURE_DOMAIN,
  proveActor,
  requestSigningInput,
  signRequest,
  type ProvenActor,
  type RequestSignature,
} from './identity/request-signature.js';
export { PolicyError } from './policy/policy-error.js';
export { StaticPolicySource, loadStaticPolicySource, type PolicySource } from './policy/policy-source.js';
export type { SurfaceRegistry, SurfaceConfig, ConnectorConfig } from './policy/surface-registry.js';
export { parsePolicyCases, readPolicyCases, type PolicyCase, type PolicyCasesFile } from './policy/policy-cases.js';
export { formatCaseResult, formatCaseSummary, runPolicyCases, type CaseResult } from './policy/case-runner.js';

// Signed policy bundles
export { buildBundle } from './bundle/build-bundle.js';
export { verifyBundle } from './bundle/verify-bundle.js';
export { compileVerifiedBundle } from './bundle/compile-verified-bundle.js';
export { BUNDLE_SIGNATURE_CONTEXT, bundleDigest, bundleSigningInput, encodeBundle } from './bundle/bundle-encoding.js';
export { BundleError, type BundleErrorCode } from './bundle/bundle-error.js';
export type { BundleBody, BundleMetadata, SignedBundle, VerifiedBundle } from './bundle/bundle-types.js';

// Signing keys
export { keyIdFor } from './keys/key-id.js';
export { createSigner, type Signer } from './keys/signer.js';
export { verifyEd25519 } from './keys/ed25519-verify.js';
export { generatePrivateKeyFile, parsePrivateKeyFile, readPrivateKeyFile, writePrivateKeyFile, type PrivateKeyFile } from './keys/private-key-file.js';
export { loadKeySet, parseKeySet } from './keys/key-set-schema.js';
export { findTrustedKey, type TrustedKeyResult, type UntrustedReason } from './keys/trusted-key.js';
export { KeyError, type KeyErrorCode } from './keys/key-error.js';
export type { KeySet, KeySetEntry } from './keys/key-set.js';

// Receipts and their store
export type { DecisionReceiptBody, OutcomeReceiptBody, ReceiptBody, ReceiptKind } from './receipt/receipt-body.js';
export { receiptId } from './receipt/receipt-id.js';
export { PgReceiptStore, type ReceiptStore, type StoredReceipt } from './store/receipt-store.js';
export { migrate } from './store/migrate.js';

// Connectors
export { ConnectorError, ConnectorRegistry, defineConnector, type ConnectorHandler, type DispatchContext } from './connectors/connector.js';
export { MAX_RESPONSE_BYTES, httpConnector, type HttpConnectorOptions, type HttpConnectorResult } from './connectors/http-connector.js';
export { MCP_META, mcpConnector, type McpConnectorOptions, type McpConnectorResult } from './connectors/mcp-connector.js';

// Client and worker
export { ActionGateClient, WORKFLOW_EXECUTION_TIMEOUT, type SubmitOptions, type SubmittedAction } from './client/actiongate-client.js';
export { ClientError, type ClientErrorCode } from './client/client-error.js';
export { ActionGateHttpClient, type HttpClientOptions, type HttpSubmitOptions } from './client/http-client.js';
export type { ActionState, ActionStatus, HttpProblem, ReceiptRecord } from './client/http-responses.js';
export { createActionGateWorker, type ActionGateWorkerOptions } from './worker/actiongate-worker.js';
export { ensureSearchAttributes } from './temporal/search-attributes.js';
export { ActionGateError } from './errors.js';
