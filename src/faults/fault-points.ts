/**
 * Named points where the fault-injection suites stop a process: in an action's life, the gate
 * before and after it commits the decision, dispatch after the external system answered; in the
 * receipt log's, a Merkle tree batch before its COMMIT, a checkpoint publication before and after
 * the note is written out (before it is recorded as published). Only a worker
 * built for that suite is given {@link FaultPoints}; a production worker has none, so every call
 * is a no-op there (`deps.faultPoints?.reach(...)`).
 */
export const FAULT_POINTS = [
  'decide.before-commit',
  'decide.after-commit',
  'dispatch.after-connector',
  'tree.before-commit',
  'publish.before-write',
  'publish.after-write',
] as const;

export type FaultPointName = (typeof FAULT_POINTS)[number];

export interface FaultPoints {
  /** Called when an action (its idempotency key) or the log (its size) reaches `name`; a test's implementation may never return. */
  reach(name: FaultPointName, subject: string): Promise<void>;
}

/**
 * Reports each arrival at one of `names` (a line `FAULT-POINT <name> <key>`) and then waits
 * forever, so the test can SIGKILL the worker with actions held at exactly that point. Other
 * points pass at once.
 *
 * @example new Worker(..., createActivities({ ..., faultPoints: pausingFaultPoints(new Set(['decide.after-commit']), (l) => process.stdout.write(`${l}\n`)) }))
 */
export function pausingFaultPoints(names: ReadonlySet<string>, report: (line: string) => void): FaultPoints {
  return {
    async reach(name, subject) {
      if (!names.has(name)) return;
      report(`FAULT-POINT ${name} ${subject}`);
      await new Promise<never>(() => undefined);
    },
  };
}
