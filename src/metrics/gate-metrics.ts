// The worker's Prometheus metrics (prom-client). Decisions, refusals, outcomes and operator steps are
// counted from the receipts this worker inserts: a receipt is inserted exactly once per key and kind,
// so a replayed workflow task, a retried activity or a second worker never counts an action twice.
// Labels are bounded: surface, outcome, reason class, mode, kind, status; never a key or an actor.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GATE_REASONS } from '../action/action-result.js';
import type { ReceiptBody, ReceiptKind } from '../receipt/receipt-body.js';

/** The refusals the gate makes itself when it cannot decide (the `cause` label). */
export const GATE_REFUSAL_CAUSES = ['gate_timeout', 'policy_unavailable', 'receipt_store_unavailable', 'evaluation_error'] as const;

/** Surfaces beyond this many are counted under `surface="other"`: a flood of made-up surface names cannot grow the series. */
export const MAX_SURFACE_LABELS = 100;

const IDENTITY_REASONS: readonly string[] = [GATE_REASONS.unknownActor, GATE_REASONS.badSignature, GATE_REASONS.targetMismatch];

/**
 * The reason class of a decision: one of the gate's own causes, `identity`, `schema_violation`,
 * `unknown_surface`, `expired`, or `policy` (policy ids, or no permit matched).
 *
 * @example reasonClass(['payments.forbid-over-limit']) === 'policy'
 */
export function reasonClass(reasons: readonly string[]): string {
  for (const cause of GATE_REFUSAL_CAUSES) if (reasons.includes(cause)) return cause;
  if (reasons.some((r) => IDENTITY_REASONS.includes(r))) return 'identity';
  for (const own of [GATE_REASONS.schemaViolation, GATE_REASONS.unknownSurface, GATE_REASONS.expired]) if (reasons.includes(own)) return own;
  return 'policy';
}

export interface PolicyBundleState {
  digest: string;
  version: string | null;
  /** `verified` (a signed bundle), `unsigned` (a policy directory), or `unavailable`. */
  verification: 'verified' | 'unsigned' | 'unavailable';
  loadedAt: Date;
}

/**
 * The metrics of one worker process. Give it to createActionGateWorker (`metrics`) and serve
 * {@link GateMetrics.render} at /metrics.
 *
 * @example
 * const metrics = new GateMetrics();
 * await createActionGateWorker({ ..., metrics });
 * res.end(await metrics.render());
 */
export class GateMetrics {
  readonly registry: Registry;
  private readonly surfaces = new Set<string>();
  private readonly decisions: Counter<'surface' | 'outcome' | 'reason_class' | 'mode'>;
  private readonly refusals: Counter<'surface' | 'cause'>;
  private readonly evaluation: Histogram<'surface'>;
  private readonly budget: Gauge<'surface'>;
  private readonly latency: Histogram<'surface'>;
  private readonly appendSeconds: Histogram<'kind'>;
  private readonly appendFailures: Counter<'kind'>;
  private readonly dispatches: Counter<'surface' | 'status'>;
  private readonly attempts: Histogram<'surface'>;
  private readonly bundleInfo: Gauge<'digest' | 'version' | 'verification'>;
  private readonly bundleLoaded: Gauge;
  private readonly operatorEvents: Counter<'surface' | 'kind' | 'event'>;
  private readonly breakGlass: Counter<'surface'>;
  private readonly publishedSize: Gauge;
  private readonly treeSize: Gauge;
  private readonly publishFailures: Counter;
  private bundle: PolicyBundleState | undefined;

  constructor(options: { registry?: Registry; bundle?: () => PolicyBundleState | undefined } = {}) {
    const registry = (this.registry = options.registry ?? new Registry());
    const registers = [registry];
    this.decisions = new Counter({
      name: 'actiongate_decisions_total',
      help: 'Decisions recorded (decision receipts inserted), by surface, outcome, reason class and mode.',
      labelNames: ['surface', 'outcome', 'reason_class', 'mode'],
      registers,
    });
    this.refusals = new Counter({
      name: 'actiongate_gate_refusals_total',
      help: 'Refusals the gate made because it could not decide: gate_timeout, policy_unavailable, receipt_store_unavailable, evaluation_error.',
      labelNames: ['surface', 'cause'],
      registers,
    });
    this.evaluation = new Histogram({
      name: 'actiongate_gate_evaluation_seconds',
      help: 'Time to authorize one request: actor proof, schema validation and Cedar evaluation.',
      labelNames: ['surface'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.budget = new Gauge({ name: 'actiongate_gate_budget_seconds', help: "The surface's gate budget (surfaces.json budgetMs).", labelNames: ['surface'], registers });
    this.latency = new Histogram({
      name: 'actiongate_decision_latency_seconds',
      help: "From the workflow's start to its decision receipt, as the gate saw it.",
      labelNames: ['surface'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.appendSeconds = new Histogram({
      name: 'actiongate_receipt_append_seconds',
      help: 'Time to append one receipt (sign, chain, commit).',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.appendFailures = new Counter({ name: 'actiongate_receipt_append_failures_total', help: 'Receipt appends that failed.', labelNames: ['kind'], registers });
    this.dispatches = new Counter({
      name: 'actiongate_dispatch_total',
      help: 'Outcomes recorded (outcome receipts inserted), by surface and dispatch status.',
      labelNames: ['surface', 'status'],
      registers,
    });
    this.attempts = new Histogram({
      name: 'actiongate_dispatch_attempts',
      help: 'Attempts a dispatch took before its outcome was recorded by the dispatch activity.',
      labelNames: ['surface'],
      buckets: [1, 2, 3, 5, 10, 20],
      registers,
    });
    this.bundleInfo = new Gauge({
      name: 'actiongate_policy_bundle_info',
      help: 'The active policy set: 1 for its digest, version and verification state.',
      labelNames: ['digest', 'version', 'verification'],
      registers,
      collect: () => this.collectBundle(options.bundle),
    });
    this.bundleLoaded = new Gauge({ name: 'actiongate_policy_bundle_loaded_timestamp_seconds', help: 'When the active policy set was loaded (Unix seconds).', registers });
    this.operatorEvents = new Counter({
      name: 'actiongate_operator_events_total',
      help: 'Operator resolutions recorded (approval and override receipts), by surface, kind and event.',
      labelNames: ['surface', 'kind', 'event'],
      registers,
    });
    this.breakGlass = new Counter({ name: 'actiongate_break_glass_used_total', help: 'Break-glass overrides that let a denied action go out.', labelNames: ['surface'], registers });
    this.publishedSize = new Gauge({
      name: 'actiongate_checkpoint_published_size',
      help: 'Receipts covered by the latest checkpoint note published to ACTIONGATE_CHECKPOINT_PUBLISH (by any worker), as this worker last saw it.',
      registers,
    });
    this.treeSize = new Gauge({ name: 'actiongate_receipt_tree_size', help: 'Receipts integrated into the Merkle tree, as this worker last saw it.', registers });
    this.publishFailures = new Counter({
      name: 'actiongate_checkpoint_publish_failures_total',
      help: 'Checkpoint publication rounds that failed (tree integration, signing or writing the note); each is retried with backoff.',
      registers,
    });
  }

  /** A checkpoint publication round ended: what the destination holds, and the tree's size. */
  checkpointPublished(size: number, treeSize: number): void {
    this.publishedSize.set(size);
    this.treeSize.set(treeSize);
  }

  checkpointPublishFailed(): void {
    this.publishFailures.inc();
  }

  /** A receipt this worker inserted (called once per receipt: a replay or retry finds it and does not insert). */
  receiptInserted(body: ReceiptBody): void {
    const surface = this.surface(body.surface);
    switch (body.kind) {
      case 'decision': {
        const cls = reasonClass(body.reasons);
        this.decisions.inc({ surface, outcome: body.outcome, reason_class: cls, mode: body.mode });
        if ((GATE_REFUSAL_CAUSES as readonly string[]).includes(cls)) this.refusals.inc({ surface, cause: cls });
        break;
      }
      case 'outcome':
        this.dispatches.inc({ surface, status: body.dispatch.status });
        break;
      case 'approval':
      case 'override': {
        const event = body.reasons[0] ?? body.outcome.toLowerCase();
        this.operatorEvents.inc({ surface, kind: body.kind, event });
        if (body.kind === 'override' && body.outcome === 'PERMIT') this.breakGlass.inc({ surface });
        break;
      }
    }
  }

  receiptAppend(kind: ReceiptKind, seconds: number, ok: boolean): void {
    if (ok) this.appendSeconds.observe({ kind }, seconds);
    else this.appendFailures.inc({ kind });
  }

  gateEvaluated(surface: string, seconds: number, budgetMs?: number): void {
    const label = this.surface(surface);
    this.evaluation.observe({ surface: label }, seconds);
    if (budgetMs !== undefined) this.budget.set({ surface: label }, budgetMs / 1_000);
  }

  decisionLatency(surface: string, seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.latency.observe({ surface: this.surface(surface) }, seconds);
  }

  dispatchAttempts(surface: string, attempts: number): void {
    this.attempts.observe({ surface: this.surface(surface) }, attempts);
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private collectBundle(current: (() => PolicyBundleState | undefined) | undefined): void {
    const state = current?.();
    if (!state) return;
    if (this.bundle && (this.bundle.digest !== state.digest || this.bundle.verification !== state.verification || this.bundle.version !== state.version)) {
      this.bundleInfo.reset();
    }
    this.bundle = state;
    this.bundleInfo.set({ digest: state.digest, version: state.version ?? '', verification: state.verification }, 1);
    this.bundleLoaded.set(state.loadedAt.getTime() / 1_000);
  }

  private surface(name: string): string {
    if (this.surfaces.has(name)) return name;
    if (this.surfaces.size >= MAX_SURFACE_LABELS) return 'other';
    this.surfaces.add(name);
    return name;
  }
}
