import type { ActivityOptions } from '@temporalio/workflow';

/**
 * How the dispatch activity is run: passing faults retried with backoff for up to 10 minutes,
 * refusals (CONNECTOR_REJECTED, NO_CONNECTOR) never. One definition, so the benchmark's bare
 * workflow runs dispatch exactly as the governed one does.
 */
export const DISPATCH_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: ['CONNECTOR_REJECTED', 'NO_CONNECTOR'],
  },
};
