import type { ConnectorRegistry } from '../src/connectors/connector.js';
import type { PolicySource } from '../src/policy/policy-source.js';
import type { ReceiptStore } from '../src/store/receipt-store.js';
import type { GateMetrics } from '../src/metrics/gate-metrics.js';
import { MeteredReceiptStore } from '../src/metrics/metered-receipt-store.js';
import { beginAction, type BeginActionInput } from './begin-action.js';
import type { RefusedCallSink } from './caller.js';
import type { FaultPoints } from '../src/faults/fault-points.js';
import { decide, type DecideInput } from './decide.js';
import { dispatch, type DispatchInput } from './dispatch.js';
import { recordOutcome, type RecordOutcomeInput } from './record-outcome.js';
import { recordRefusal, type RecordRefusalInput } from './record-refusal.js';
import { resolveOperators, type OperatorEventSink, type ResolveOperatorsInput } from './resolve-operators.js';

export interface ActivityDeps {
  policies: PolicySource;
  store: ReceiptStore;
  connectors: ConnectorRegistry;
  /** Every call an activity refused (a stranger's, or a run without a decision): counted and kept by the caller. */
  onRefusedCall?: RefusedCallSink;
  /** Operators' refused statements and resolutions (break-glass included): counted by the caller. */
  onOperatorEvent?: OperatorEventSink;
  /** Fault-injection suite only: where a worker stops so the test can kill it (src/faults/fault-points.ts). */
  faultPoints?: FaultPoints;
  /**
   * Prometheus metrics (src/metrics/gate-metrics.ts): receipts are counted as they are inserted,
   * once each, and the gate's evaluation time, decision latency and dispatch attempts observed.
   */
  metrics?: GateMetrics;
}

/**
 * The only code that touches Postgres, policies and external systems. Built from its
 * dependencies so tests can hand in real ones or stand-ins for systems we do not own.
 *
 * Every activity may be called by a stranger holding a Temporal client (a standalone activity, a
 * workflow of its own on another task queue): each checks its caller and what Postgres holds for
 * that caller's run before it acts, and none takes a decision, an identity or a time from its input.
 *
 * @example new Worker({ activities: createActivities({ policies, store, connectors }), ... })
 */
export function createActivities(activityDeps: ActivityDeps) {
  const deps = activityDeps.metrics ? { ...activityDeps, store: new MeteredReceiptStore(activityDeps.store, activityDeps.metrics) } : activityDeps;
  return {
    beginAction: (input: BeginActionInput) => beginAction(deps, input),
    decide: (input: DecideInput) => decide(deps, input),
    recordRefusal: (input: RecordRefusalInput) => recordRefusal(deps, input),
    dispatch: (input: DispatchInput) => dispatch(deps, input),
    recordOutcome: (input: RecordOutcomeInput) => recordOutcome(deps, input),
    resolveOperators: (input: ResolveOperatorsInput) => resolveOperators(deps, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { BeginActionInput, DecideInput, DispatchInput, RecordOutcomeInput, RecordRefusalInput };
export type { BeginActionResult } from './begin-action.js';
export type { DecideResult } from './decide.js';
export type { DispatchOutput } from './dispatch.js';
export type { RecordedDecision, RecordedOperators, RecordedOutcome } from './run-receipts.js';
export type { ResolveOperatorsInput, ResolveOperatorsResult, ApprovalCheckResult, OperatorEvent, OperatorEventSink } from './resolve-operators.js';
export type { RefusedCall, RefusedCallSink } from './caller.js';
