/**
 * Named points in an action's life where the fault-injection suite stops a worker: the gate before
 * and after it commits the decision, dispatch after the external system answered. Only a worker
 * built for that suite is given {@link FaultPoints}; a production worker has none, so every call
 * is a no-op there (`deps.faultPoints?.reach(...)`).
 */
export const FAULT_POINTS = ['decide.before-commit', 'decide.after-commit', 'dispatch.after-connector'] as const;

export type FaultPointName = (typeof FAULT_POINTS)[number];

export interface FaultPoints {
  /** Called when an action reaches `name`; a test's implementation may never return. */
  reach(name: FaultPointName, idempotencyKey: string): Promise<void>;
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
    async reach(name, idempotencyKey) {
      if (!names.has(name)) return;
      report(`FAULT-POINT ${name} ${idempotencyKey}`);
      await new Promise<never>(() => undefined);
    },
  };
}
