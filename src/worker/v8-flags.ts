import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Turns off V8's TurboFan inlining for this process, once. On Node 20 (V8 11.3) a worker deciding
 * under heavy load (the bench at 256 actions in flight, twice on 2026-12-01) aborted with V8's fatal
 * "unreachable code" in the deoptimizer (Deoptimizer::DoComputeBuiltinContinuation) while running
 * cedar-wasm's glue, the same abort seen before when large policy sets were compiled after many
 * evaluations; `--no-turbo-inlining` avoided it there at no measurable cost. Set from the code
 * because a worker is not always started by our launcher (tests, the bench, embedding); it takes
 * effect for functions optimized after this call, so it runs before the first decision.
 */
export function avoidV8DeoptimizerAbort(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-turbo-inlining');
}
