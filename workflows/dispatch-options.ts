import type { ActivityOptions } from '@temporalio/workflow';

/**
 * How the dispatch activity is run: passing faults retried with backoff for up to 10 minutes,
 * refusals (CONNECTOR_REJECTED, NO_CONNECTOR) never. One definition, so the benchmark's bare
 * workflow runs dispatch exactly as the governed one does.
 */
export const DISPATCH_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  // The dispatch activity heartbeats every second while the external system holds the request:
  // a worker that died is noticed in 5 s, not after the whole 30 s attempt.
  heartbeatTimeout: '5s',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: ['CONNECTOR_REJECTED', 'NO_CONNECTOR'],
  },
};
