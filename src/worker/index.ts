// `actiongate/worker`: run the governed-action workflow and its activities in your own process.
export {
  PREBUILT_WORKFLOW_BUNDLE_PATH,
  WORKFLOWS_PATH,
  createActionGateWorker,
  loadWorkflowBundle,
  type ActionGateWorkerOptions,
  type WorkflowBundle,
} from './actiongate-worker.js';
export { NativeConnection } from '@temporalio/worker';
export {
  registerOtlpTracing,
  registerTracing,
  tracingClientInterceptors,
  type ActionGateTracing,
  type OtlpTracingSettings,
  type TracingOptions,
} from '../tracing/tracing.js';
export { ensureSearchAttributes } from '../temporal/search-attributes.js';
export { StaticPolicySource, loadStaticPolicySource, type PolicySource } from '../policy/policy-source.js';
export { PgReceiptStore, type ReceiptStore, type StoredReceipt } from '../store/receipt-store.js';
export { migrate } from '../store/migrate.js';
export { ConnectorError, ConnectorRegistry, defineConnector, type ConnectorHandler, type DispatchContext } from '../connectors/connector.js';
export { MAX_RESPONSE_BYTES, httpConnector, type HttpConnectorOptions, type HttpConnectorResult } from '../connectors/http-connector.js';
export { MCP_META, mcpConnector, type McpConnectorOptions, type McpConnectorResult } from '../connectors/mcp-connector.js';
export { createSigner, type Signer } from '../keys/signer.js';
export { readPrivateKeyFile } from '../keys/private-key-file.js';
export { ActionGateError } from '../errors.js';
