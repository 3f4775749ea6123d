// The pure work of one gate decision, in-process and without Temporal: parse the request, hash it,
// evaluate it (verify its signature, then Cedar against its surface's policies), build and encode
// the decision receipt. Requests are signed beforehand, outside the timed section, as an agent would.
// Run as its own process with `node --no-turbo-inlining` (see bench/run.ts); it reports over IPC.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSigner } from '../src/demo/demo-keys.js';
import { signRequest, type RequestSignature } from '../src/identity/request-signature.js';
import { compilePolicySet, type CompiledPolicySet } from '../src/policy/policy-set.js';
import { readPolicyDir } from '../src/policy/policy-files.js';
import { receiptSubject, type DecisionReceiptBody } from '../src/receipt/receipt-body.js';
import { receiptId } from '../src/receipt/receipt-id.js';
import { parseActionRequest } from '../src/request/action-request.js';
import { canonicalJson } from '../src/request/canonical-json.js';
import { requestHash } from '../src/request/request-hash.js';
import { GENERATED_ACTION, GENERATED_ACTOR, surfaceName, writePolicySet } from './policy-generator.js';
import { summarize, type Summary } from './stats.js';

export interface GateSetResult {
  label: string;
  surfaces: number;
  policies: number;
  readMs: number;
  compileMs: number;
  decisions: number;
  /** Whole decision, and each part of it (ms). */
  total: Summary;
  parts: { parse: Summary; hash: Summary; evaluate: Summary; receipt: Summary };
  outcomes: Record<string, number>;
}

export interface GateComputeResult {
  nodeFlags: string[];
  sets: GateSetResult[];
}

export type GateComputeMessage =
  | { type: 'run'; decisions: number; warmup: number }
  | { type: 'result'; result: GateComputeResult }
  | { type: 'failed'; message: string };

const CLOCK = { now: new Date('2026-11-24T10:00:00.000Z') };

function rawRequest(i: number, surface: string): unknown {
  return {
    idempotencyKey: `gate-${i}`,
    actor: { id: GENERATED_ACTOR, type: 'agent' },
    surface,
    action: GENERATED_ACTION,
    target: { type: 'account', id: `acct-${i % 97}` },
    context: { amount: 12_000, currency: 'EUR' },
    payload: { amount: 12_000, currency: 'EUR', to: `acct-${i % 97}` },
  };
}

interface Loaded {
  label: string;
  surfaces: number;
  perSurface: number;
  set: CompiledPolicySet;
  readMs: number;
  compileMs: number;
}

async function load(root: string, label: string, surfaces: number, perSurface: number): Promise<Loaded> {
  const dir = join(root, label);
  await writePolicySet(dir, surfaces, perSurface);
  const t0 = performance.now();
  const files = await readPolicyDir(dir);
  const t1 = performance.now();
  const set = compilePolicySet(files);
  const t2 = performance.now();
  return { label, surfaces, perSurface, set, readMs: t1 - t0, compileMs: t2 - t1 };
}

/** A request as an agent sends it: the body and its signature, made before any timing starts. */
interface SignedInput {
  input: unknown;
  signature: RequestSignature;
}

function signedInputs(count: number, surfaces: number): SignedInput[] {
  const signer = demoSigner(GENERATED_ACTOR);
  return Array.from({ length: count }, (_, i) => {
    const input = rawRequest(i, surfaceName(i % surfaces));
    return { input, signature: signRequest(parseActionRequest(input), signer) };
  });
}

/** One decision, as the gate does it (the signature verified inside evaluate), timed part by part. */
function decide(set: CompiledPolicySet, { input, signature }: SignedInput, times: number[][], outcomes: Record<string, number>): void {
  const t0 = performance.now();
  const request = parseActionRequest(input);
  const t1 = performance.now();
  const hash = requestHash(request);
  const t2 = performance.now();
  const decision = set.evaluate(request, { ...CLOCK, signature });
  const t3 = performance.now();
  const body: DecisionReceiptBody = {
    ...receiptSubject(request, { workflowId: request.idempotencyKey, runId: 'gate-bench', requestHash: hash, issuedAt: CLOCK.now.toISOString(), actorKeyId: decision.actorKeyId ?? null }),
    kind: 'decision',
    outcome: decision.outcome,
    reasons: [...decision.reasons].sort(),
    mode: 'enforce',
    policy: { digest: decision.policy.digest, version: set.version },
    detail: decision.detail ?? null,
  };
  const encoded = canonicalJson(body);
  const id = receiptId(body);
  const t4 = performance.now();
  if (encoded.length === 0 || id.length === 0) throw new Error('empty receipt');
  outcomes[decision.outcome] = (outcomes[decision.outcome] ?? 0) + 1;
  times[0]!.push(t4 - t0);
  times[1]!.push(t1 - t0);
  times[2]!.push(t2 - t1);
  times[3]!.push(t3 - t2);
  times[4]!.push(t4 - t3);
}

function measure(loaded: Loaded, decisions: number, warmup: number): GateSetResult {
  const discard: number[][] = [[], [], [], [], []];
  const times: number[][] = [[], [], [], [], []];
  const outcomes: Record<string, number> = {};
  // Signed up front: signing is the agent's work, not the gate's.
  for (const input of signedInputs(warmup, loaded.surfaces)) decide(loaded.set, input, discard, {});
  for (const input of signedInputs(decisions, loaded.surfaces)) decide(loaded.set, input, times, outcomes);
  const [total, parse, hash, evaluate, receipt] = times.map(summarize) as [Summary, Summary, Summary, Summary, Summary];
  return {
    label: loaded.label,
    surfaces: loaded.surfaces,
    policies: loaded.surfaces * loaded.perSurface,
    readMs: loaded.readMs,
    compileMs: loaded.compileMs,
    decisions,
    total,
    parts: { parse, hash, evaluate, receipt },
    outcomes,
  };
}

/** Both sets are compiled before either is evaluated: a worker loads its policies before it decides. */
export async function runGateCompute(decisions: number, warmup: number): Promise<GateComputeResult> {
  const root = await mkdtemp(join(tmpdir(), 'actiongate-bench-policies-'));
  try {
    const small = await load(root, '50 policies (1 surface)', 1, 50);
    const large = await load(root, '5,000 policies (100 surfaces × 50)', 100, 50);
    return { nodeFlags: process.execArgv.filter((a) => a.startsWith('--') && a !== '--import'), sets: [measure(small, decisions, warmup), measure(large, decisions, warmup)] };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// As a child process: wait for the parameters, answer with the result.
if (process.send) {
  process.once('message', (message: GateComputeMessage) => {
    if (message.type !== 'run') return;
    runGateCompute(message.decisions, message.warmup).then(
      (result) => process.send?.({ type: 'result', result } satisfies GateComputeMessage, () => process.disconnect()),
      (err: unknown) =>
        process.send?.({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies GateComputeMessage, () => process.disconnect()),
    );
  });
}
