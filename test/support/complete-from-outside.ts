// The attack of a stranger holding a Temporal client: wait until the workflow's activity is running,
// then complete it with a made-up result through the Temporal CLI (`temporal activity complete`).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { expect } from 'vitest';
import { testEnv } from './harness.js';

const run = promisify(execFile);

export async function completeRunningActivityFromOutside(client: Client, temporalCli: string, workflowId: string, result: unknown): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  await expect.poll(async () => ((await handle.describe()).raw.pendingActivities ?? []).length, { timeout: 10_000 }).toBeGreaterThan(0);
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  await run(temporalCli, [
    'activity', 'complete',
    '--address', testEnv().temporalAddress,
    '--namespace', testEnv().namespace,
    '--workflow-id', workflowId,
    '--activity-id', String(pending[0]?.activityId),
    '--result', JSON.stringify(result),
  ]);
}
