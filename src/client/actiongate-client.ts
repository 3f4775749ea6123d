import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionDecision, ActionResult } from '../action/action-result.js';
import { actionDetails, describeAction, parseActionRequest, type ActionRequest } from '../request/action-request.js';
import { digestsEqual } from '../request/digest.js';
import { RequestError } from '../request/request-error.js';
import { requestHash } from '../request/request-hash.js';
import { signRequest, type RequestSignature } from '../identity/request-signature.js';
import type { Signer } from '../keys/signer.js';
import { FAILURE_TYPES, WORKFLOW_TYPE, submitActionUpdate } from '../../workflows/contract.js';
import type { governedActionWorkflow } from '../../workflows/governed-action.js';
import { ClientError } from './client-error.js';

/**
 * How long a governed action's workflow may exist at all. The gate refuses stale actions itself
 * (DENY `expired`, after the surface's maxQueueMs); this bounds a workflow that never reached a
 * worker, so no backlog outlives it. Receipts that wait for a store outage longer than this are lost
 * with it (the agent was told DENY already).
 */
export const WORKFLOW_EXECUTION_TIMEOUT = '24 hours';

export interface SubmitOptions {
  /** Signs the request as its actor (the key must be the actor's, in principals.json). */
  signer?: Signer;
  /** A signature made elsewhere (an agent that holds its key in an HSM); used as is. */
  signature?: RequestSignature;
}

export interface SubmittedAction {
  /** The decision, on record before it was returned. */
  decision: ActionDecision;
  /** Waits for dispatch and the outcome receipt. */
  result(): Promise<ActionResult>;
}

/**
 * What agents call. One round trip gives the decision (Update-With-Start); the workflow ID is the
 * idempotency key, so a repeat of the same request gets the first answer and never a second dispatch.
 *
 * @example
 * const gate = new ActionGateClient({ client, taskQueue: 'actiongate' });
 * const { decision, result } = await gate.submit(request);
 * if (decision.outcome === 'PERMIT') console.log((await result()).dispatch.status);
 */
export class ActionGateClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly signer: Signer | ((request: ActionRequest) => Signer | undefined) | undefined;

  /**
   * `signer`: the agent's key, used for every submit that does not bring its own signature; or a
   * function that picks the key for a request's actor (a process that submits for several agents).
   */
  constructor(options: { client: Client; taskQueue: string; signer?: Signer | ((request: ActionRequest) => Signer | undefined) }) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.signer = options.signer;
  }

  /**
   * Validates, signs (when given a key), submits and returns the decision. Throws RequestError
   * for bad input (nothing is started). An unsigned request is decided only on a shadow surface
   * that accepts unsigned requests; elsewhere it is SILENCE (`bad_signature`).
   */
  async submit(input: unknown, options: SubmitOptions = {}): Promise<SubmittedAction> {
    const request = parseActionRequest(input);
    const signer = options.signer ?? (typeof this.signer === 'function' ? this.signer(request) : this.signer);
    const signature = options.signature ?? (signer ? signRequest(request, signer) : undefined);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.submitOnce(request, signature);
      } catch (err) {
        // Concurrent Update-With-Starts of one key: the server may answer a start it deduplicated
        // with UNAVAILABLE ("StartDeduped") on every retry of that same operation. A new operation
        // then finds the running workflow and attaches to it; safe, since the key is the workflow ID.
        if (attempt >= 3 || !isDedupedStart(err)) throw err;
      }
    }
  }

  private async submitOnce(request: ActionRequest, signature: RequestSignature | undefined): Promise<SubmittedAction> {
    const hash = requestHash(request);
    const startOperation = new WithStartWorkflowOperation<typeof governedActionWorkflow>(WORKFLOW_TYPE, {
      workflowId: request.idempotencyKey,
      taskQueue: this.taskQueue,
      args: [signature ? { request, signature } : { request }],
      workflowExecutionTimeout: WORKFLOW_EXECUTION_TIMEOUT,
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed action is never run again under its key: a repeat reads its result instead.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: describeAction(request),
      staticDetails: actionDetails(request, hash),
    });
    try {
      const decision = await this.client.workflow.executeUpdateWithStart(submitActionUpdate, {
        args: signature ? [request, signature] : [request],
        startWorkflowOperation: startOperation,
      });
      const handle = await startOperation.workflowHandle();
      return { decision, result: () => this.awaitResult(handle, request) };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // The workflow of this key has closed: its result is the answer.
        const handle = this.client.workflow.getHandle<typeof governedActionWorkflow>(request.idempotencyKey);
        const result = await this.awaitResult(handle, request);
        if (!digestsEqual(result.requestHash, hash)) throw conflict(request, result.requestHash, hash);
        const { dispatch: _dispatch, ...decision } = result;
        return {
          decision: { ...decision, receipts: { decision: result.receipts.decision } },
          result: async () => result,
        };
      }
      throw translate(err, request);
    }
  }

  /**
   * The workflow of an action, by its idempotency key (and run, from its decision): to query it
   * (`decisionQuery`, `operatorsQuery`) or to send it an operator's signed approval
   * (`operatorApprovalSignal`, workflows/contract.ts).
   */
  workflow(idempotencyKey: string, runId?: string): WorkflowHandle<typeof governedActionWorkflow> {
    return this.client.workflow.getHandle<typeof governedActionWorkflow>(idempotencyKey, runId);
  }

  /** Submits and waits for the end: decision, dispatch and both receipts. */
  async execute(input: unknown, options: SubmitOptions = {}): Promise<ActionResult> {
    return (await this.submit(input, options)).result();
  }

  private async awaitResult(handle: WorkflowHandle<typeof governedActionWorkflow>, request: ActionRequest): Promise<ActionResult> {
    try {
      return await handle.result();
    } catch (err) {
      throw translate(err, request);
    }
  }
}

function isDedupedStart(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e.message.includes('StartDeduped')) return true;
  }
  return false;
}

function conflict(request: ActionRequest, firstHash: string, hash: string): ClientError {
  return new ClientError(
    'IDEMPOTENCY_CONFLICT',
    `idempotency key ${request.idempotencyKey} was first used for a different request (${firstHash}); this request hashes to ${hash}. Use a new key for a new action.`,
    { idempotencyKey: request.idempotencyKey, firstRequestHash: firstHash, requestHash: hash },
  );
}

function translate(err: unknown, request: ActionRequest): unknown {
  if (err instanceof RequestError || err instanceof ClientError) return err;
  const cause = err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.idempotencyConflict) {
    const details = (cause.details?.[0] ?? {}) as { firstRequestHash?: string; requestHash?: string };
    return conflict(request, details.firstRequestHash ?? 'unknown', details.requestHash ?? requestHash(request));
  }
  if (err instanceof WorkflowFailedError) {
    return new ClientError(
      'ACTION_FAILED',
      `the workflow of ${request.idempotencyKey} ended without a result: ${cause?.message ?? err.message}. Inspect it in the Temporal UI.`,
      { idempotencyKey: request.idempotencyKey },
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/UNAVAILABLE|ECONNREFUSED|failed to connect|Failed to connect|deadline/i.test(message)) {
    return new ClientError('TEMPORAL_UNAVAILABLE', `Temporal did not answer: ${message}`, undefined, { cause: err });
  }
  return err;
}
