// Where one workflow's time went, read from its Temporal history: event timestamps (server clock)
// and, for local activities, the schedule and completion times core records in each marker.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { summarize, type Summary } from './stats.js';

// @temporalio/proto is CommonJS: take the enum from its default export.
const EventType = proto.temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** Events a workflow task's completion writes (its commands and messages), after its completion event. */
const TASK_RESULT_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_MARKER_RECORDED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
]);

/** Row labels, so the report can pick out the steps it reasons about. */
export const STEP = {
  clientToStart: 'client submit → workflow started (client, frontend, history)',
  taskWait: (n: number) => `WFT${n} scheduled → started (server: transfer queue, matching)`,
  taskOnWorker: (n: number) => `WFT${n} started → completed (worker)`,
  toUpdateCompleted: 'workflow started → update completed (server clock)',
  toCompleted: 'workflow started → completed (server clock)',
  updateToClient: 'update completed → client has the update result',
  completedToClient: 'workflow completed → client has the result',
} as const;

/** One step of a workflow, in order; `sub` rows break down the row before them. */
export interface Step {
  label: string;
  ms: number;
  sub?: boolean;
}

/** Milliseconds since the epoch, with the sub-millisecond part. */
function epochMs(ts: Timestamp): number {
  if (!ts) return Number.NaN;
  return Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
}

interface LocalActivityMark {
  type: string;
  /** Worker clock when core scheduled it. (The marker's complete_time is not a wall-clock reading: it
   * comes out earlier than the schedule time, so the run time of one local activity is not in history.) */
  scheduledAt: number;
}

function localActivityMark(event: HistoryEvent): LocalActivityMark | undefined {
  const payload = event.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
  if (!payload) return undefined;
  const data = JSON.parse(Buffer.from(payload).toString('utf8')) as { activity_type?: string; original_schedule_time?: Timestamp };
  return { type: data.activity_type ?? '?', scheduledAt: epochMs(data.original_schedule_time) };
}

/**
 * The steps of one run: each workflow task's wait in the server (scheduled → started) and its time
 * on the worker (started → completed, local activities within it), each activity's wait and run.
 * `submittedAt` / `decidedAt` / `doneAt` (epoch ms, client clock) add the client's share.
 */
export function stepsOf(events: HistoryEvent[], client?: { submittedAt: number; decidedAt: number; doneAt: number }): Step[] {
  const steps: Step[] = [];
  const at = (e: HistoryEvent) => epochMs(e.eventTime as Timestamp);
  const first = events[0];
  if (!first) return steps;
  const startedAt = at(first);
  if (client) steps.push({ label: STEP.clientToStart, ms: startedAt - client.submittedAt });

  let wft = 0;
  let scheduledAt = Number.NaN;
  let taskStartedAt = Number.NaN;
  let updateCompletedAt = Number.NaN;
  const activityScheduled = new Map<string, { at: number; type: string }>();
  const activityStartedAt = new Map<string, number>();
  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        scheduledAt = at(event);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        wft++;
        taskStartedAt = at(event);
        steps.push({ label: STEP.taskWait(wft), ms: taskStartedAt - scheduledAt });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const completedAt = at(event);
        steps.push({ label: STEP.taskOnWorker(wft), ms: completedAt - taskStartedAt });
        // Markers of this task follow its completion event; read them now to break the task down.
        const own: LocalActivityMark[] = [];
        for (const next of events.slice(events.indexOf(event) + 1)) {
          if (!TASK_RESULT_EVENTS.has(next.eventType ?? 0)) break;
          const mark = next.eventType === EventType.EVENT_TYPE_MARKER_RECORDED ? localActivityMark(next) : undefined;
          if (mark) own.push(mark);
        }
        // Between two schedule times: the earlier local activity's run, its result back to the
        // workflow (a new activation) and the workflow code up to the next one.
        let cursor = { at: taskStartedAt, what: 'task started' };
        for (const mark of own) {
          steps.push({ label: `WFT${wft}: ${cursor.what} → ${mark.type} scheduled`, ms: mark.scheduledAt - cursor.at, sub: true });
          cursor = { at: mark.scheduledAt, what: `${mark.type} scheduled` };
        }
        if (own.length > 0) steps.push({ label: `WFT${wft}: ${cursor.what} → task completed`, ms: completedAt - cursor.at, sub: true });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
        updateCompletedAt = at(event);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activityScheduled.set(String(event.eventId), { at: at(event), type: event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?' });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const scheduled = activityScheduled.get(String(event.activityTaskStartedEventAttributes?.scheduledEventId));
        if (!scheduled) break;
        activityStartedAt.set(String(event.activityTaskStartedEventAttributes?.scheduledEventId), at(event));
        steps.push({ label: `activity ${scheduled.type} scheduled → started`, ms: at(event) - scheduled.at });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const id = String(event.activityTaskCompletedEventAttributes?.scheduledEventId);
        const scheduled = activityScheduled.get(id);
        const started = activityStartedAt.get(id);
        if (scheduled && started !== undefined) steps.push({ label: `activity ${scheduled.type} started → completed`, ms: at(event) - started });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        steps.push({ label: STEP.toUpdateCompleted, ms: updateCompletedAt - startedAt });
        steps.push({ label: STEP.toCompleted, ms: at(event) - startedAt });
        if (client) {
          steps.push({ label: STEP.updateToClient, ms: client.decidedAt - updateCompletedAt });
          steps.push({ label: STEP.completedToClient, ms: client.doneAt - at(event) });
        }
        break;
      default:
        break;
    }
  }
  return steps;
}

export interface StepSummary {
  label: string;
  sub: boolean;
  summary: Summary;
}

/** Steps of several runs of the same shape, summarized per label (in first-seen order). */
export async function stepSummaries(
  temporal: Client,
  runs: ReadonlyArray<{ workflowId: string; submittedAt: number; decisionMs: number; doneMs: number }>,
): Promise<StepSummary[]> {
  const byLabel = new Map<string, { sub: boolean; values: number[] }>();
  for (const run of runs) {
    const history = await temporal.workflow.getHandle(run.workflowId).fetchHistory();
    const client = { submittedAt: run.submittedAt, decidedAt: run.submittedAt + run.decisionMs, doneAt: run.submittedAt + run.doneMs };
    for (const step of stepsOf(history.events ?? [], client)) {
      const entry = byLabel.get(step.label) ?? { sub: step.sub ?? false, values: [] };
      entry.values.push(step.ms);
      byLabel.set(step.label, entry);
    }
  }
  return [...byLabel].map(([label, { sub, values }]) => ({ label, sub, summary: summarize(values) }));
}
