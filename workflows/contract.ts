// The workflow's wire contract, defined once: names here are stable, clients and tools depend on them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionDecision } from '../src/action/action-result.js';
import type { ActionRequest } from '../src/request/action-request.js';
import type { RequestSignature } from '../src/identity/request-signature.js';

export const WORKFLOW_TYPE = 'governedActionWorkflow';

export interface GovernedActionInput {
  request: ActionRequest;
  /** The actor's detached signature over the request hash (`actiongate/request/v1`); the gate checks it. */
  signature?: RequestSignature;
}

/**
 * Update-With-Start: hands the request over and answers with the decision once it is on record.
 * The signature is not part of the request (it signs the request's hash); a repeat may carry another.
 */
export const submitActionUpdate = defineUpdate<ActionDecision, [ActionRequest, RequestSignature?]>('submit-action');

/** The decision so far, or null before it is made. */
export const decisionQuery = defineQuery<ActionDecision | null>('decision');

export const SEARCH_ATTRIBUTES = {
  surface: defineSearchAttributeKey('ActionSurface', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('ActionOutcome', SearchAttributeType.KEYWORD),
  actor: defineSearchAttributeKey('ActionActor', SearchAttributeType.KEYWORD),
  policyDigest: defineSearchAttributeKey('PolicyDigest', SearchAttributeType.KEYWORD),
} as const;

/** Application failure types the workflow raises; clients map them to typed errors. */
export const FAILURE_TYPES = {
  idempotencyConflict: 'IDEMPOTENCY_CONFLICT',
  invalidRequest: 'INVALID_REQUEST',
} as const;
