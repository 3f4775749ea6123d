import type { ConnectorRegistry } from '../src/connectors/connector.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import { authorize, type AuthorizeInput } from './authorize.js';
import { beginAction, type BeginActionInput } from './begin-action.js';
import { dispatch, type DispatchInput } from './dispatch.js';
import { recordReceipt, type RecordReceiptInput } from './record-receipt.js';

export interface ActivityDeps {
  policies: PolicySource;
  store: ReceiptStore;
  connectors: ConnectorRegistry;
}

/**
 * The only code that touches Postgres, policies and external systems. Built from its
 * dependencies so tests can hand in real ones or stand-ins for systems we do not own.
 *
 * @example new Worker({ activities: createActivities({ policies, store, connectors }), ... })
 */
export function createActivities(deps: ActivityDeps) {
  return {
    beginAction: (input: BeginActionInput) => beginAction(deps, input),
    authorize: (input: AuthorizeInput) => authorize(deps, input),
    recordReceipt: (input: RecordReceiptInput) => recordReceipt(deps, input),
    dispatch: (input: DispatchInput) => dispatch(deps, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { AuthorizeInput, BeginActionInput, DispatchInput, RecordReceiptInput };
export type { BeginActionResult } from './begin-action.js';
export type { RecordedReceipt } from './record-receipt.js';
export type { DispatchOutput } from './dispatch.js';
