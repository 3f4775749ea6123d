import { preparsePolicySet, preparseSchema, schemaToJson, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { contextMismatches, contextTypes } from './context-mismatch.js';
import { EMPTY_PRINCIPALS, parsePrincipalRegistry, type PrincipalRegistry } from '../identity/principal-registry.js';
import { proveActor, type RequestSignature } from '../identity/request-signature.js';
import { EMPTY_TARGETS, parseTargetRegistry, type TargetRegistry } from '../identity/target-registry.js';
import type { ActionRequest } from '../request/action-request.js';
import { DIGEST_PATTERN, digestJson, type Digest } from '../request/digest.js';
import { decisionFromAnswer, evaluationError, gateRefusal } from './cedar-answer.js';
import { CEDAR_NAMESPACE, toCedarCall } from './cedar-request.js';
import { DecisionReason, type PolicyDecision } from './decision.js';
import { parsePolicyFile, type IdentifiedPolicy } from './policy-file-parser.js';
import { POLICY_FILE_SUFFIX, PRINCIPALS_FILE, SCHEMA_FILE, TARGETS_FILE, type PolicyFile } from './policy-files.js';
import { PolicyError } from './policy-error.js';
import { checkSchema, validatePolicies } from './policy-schema.js';
import {
  parseSurfaceRegistry,
  SURFACES_FILE,
  type SurfaceConfig,
  type SurfaceRegistry,
} from './surface-registry.js';

/** A policy set ready to decide: parsed once, evaluated many times, named by its content digest. */
export interface CompiledPolicySet {
  /**
   * The policy set in force, cited by receipts: `sha256:` over `{ v: 1, files: { [path]: text } }`
   * for a directory, the bundle's digest for a signed bundle ({@link CompilePolicySetOptions}).
   */
  readonly digest: Digest;
  /** The bundle's version label (`metadata.version`); null for a plain policy directory. */
  readonly version: string | null;
  readonly registry: SurfaceRegistry;
  /** Who may ask (principals.json); empty when the set has none, so every actor is unknown. */
  readonly principals: PrincipalRegistry;
  /** Trusted facts about targets (targets.json). */
  readonly targets: TargetRegistry;
  /** The surface's configuration, or undefined if the registry does not name it. */
  surface(name: string): SurfaceConfig | undefined;
  /**
   * Decides one request at the given instant. Never throws: every failure is SILENCE.
   * The actor is proven first ({@link EvaluateOptions.signature}); its attributes come from
   * principals.json, the target's tags from targets.json, and Cedar validates the request
   * against the schema (`schema_violation` on any mismatch).
   */
  evaluate(request: ActionRequest, options: EvaluateOptions): PolicyDecision;
}

export interface EvaluateOptions {
  /** The instant the policies see (context.gate) and signing keys are checked at. */
  now: Date;
  /**
   * The request's signature, as received (checked here). Absent: unsigned, refused
   * (`bad_signature`) unless the surface is a shadow surface with `acceptUnsigned`.
   */
  signature?: RequestSignature | unknown;
  /**
   * Take the signature as checked elsewhere: policy cases, and replaying a decision whose receipt
   * names the key. Never on the gate's path (the decide activity does not set it).
   */
  assumeSigned?: boolean;
}

/**
 * Names a compiled set by something other than its files' digest. Only for a signed bundle
 * ({@link compileVerifiedBundle}), whose identity is the digest of the whole signed body
 * (metadata included); leave both out for a policy directory.
 */
export interface CompilePolicySetOptions {
  digest?: Digest;
  version?: string;
}

// `payments/limits.cedar`: one folder level, named like a surface (SURFACE_NAME_PATTERN).
const POLICY_PATH = /^([a-z][a-z0-9-]{0,62})\/[^/]+\.cedar$/;

/**
 * Compiles the files of a policy set (from {@link readPolicyDir} or a bundle): validates the
 * surface registry, parses every policy, names it by its `@id`, and preparses each surface's
 * policies in Cedar once, under `${digest}/${surface}`, so that several versions can be held at
 * once and a decision costs one Cedar call on one surface's policies only.
 *
 * Pure apart from Cedar's preparsed-set cache, which cedar-wasm never empties: every distinct
 * policy set compiled stays in memory for the life of the process (or worker thread).
 * On Node 20.20 (V8 11.3), compiling a large set (5,000 policies) again after many evaluations
 * has aborted the process (V8 fatal "unreachable code" in the deoptimizer, inside cedar-wasm's
 * glue); `node --no-turbo-inlining` avoided it at no measurable cost.
 *
 * @throws PolicyError `POLICY_INVALID` for a bad surfaces.json, an unexpected or duplicate file,
 *   a policy folder without a registered surface or a surface without policies, unparsable
 *   Cedar, a schema violation, or the same policy id twice; the message names file and id.
 * @param options identity overrides for a signed bundle; absent for a policy directory.
 * @example
 * const set = compilePolicySet(await readPolicyDir('policies'));
 * const decision = set.evaluate(request, { now: new Date('2026-11-24T10:00:00Z') });
 * if (decision.outcome !== 'PERMIT') refuse(decision.reasons);
 */
export function compilePolicySet(files: readonly PolicyFile[], options: CompilePolicySetOptions = {}): CompiledPolicySet {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const { registryFile, schemaFile, principalsFile, targetsFile, policyFiles } = classify(sorted);

  const contents: Record<string, string> = {};
  for (const file of sorted) contents[file.path] = file.text;
  const digest = options.digest ?? digestJson({ v: 1, files: contents });
  if (!DIGEST_PATTERN.test(digest)) {
    // It names Cedar's preparsed sets and every receipt: a malformed one is a caller bug, refused.
    throw new PolicyError('POLICY_INVALID', `policy set digest ${JSON.stringify(digest)} is not sha256: and 64 hex digits`, { digest });
  }
  const version = options.version ?? null;

  const registry = deepFreeze(parseSurfaceRegistry(registryFile.text, registryFile.path));
  if (!schemaFile || schemaFile.text.trim() === '') {
    // Without a schema nothing stops type confusion in requests: no schema, no policy set.
    throw new PolicyError('POLICY_INVALID', `${SCHEMA_FILE}: ${schemaFile ? 'empty' : 'missing'}; requests are validated against it`, {
      file: SCHEMA_FILE,
    });
  }
  checkSchema(schemaFile);
  const schemaName = `${digest}/schema`;
  const schemaAnswer = preparseSchema(schemaName, schemaFile.text);
  if (schemaAnswer.type === 'failure') {
    throw new PolicyError('POLICY_INVALID', `${SCHEMA_FILE}: ${schemaAnswer.errors.map((e) => e.message).join('; ')}`, { file: SCHEMA_FILE });
  }
  const schemaJson = schemaToJson(schemaFile.text);
  const types = contextTypes(schemaJson.type === 'success' ? (schemaJson.json as never) : {}, CEDAR_NAMESPACE);
  const principals = deepFreeze(principalsFile ? parsePrincipalRegistry(principalsFile.text, principalsFile.path) : EMPTY_PRINCIPALS);
  const targets = deepFreeze(targetsFile ? parseTargetRegistry(targetsFile.text, targetsFile.path) : EMPTY_TARGETS);
  checkGrants(registry, principals);

  const bySurface = new Map<string, IdentifiedPolicy[]>(Object.keys(registry.surfaces).map((name) => [name, []]));
  const seen = new Map<string, IdentifiedPolicy>();
  for (const { file, surface } of policyFiles) {
    const policies = bySurface.get(surface);
    if (!policies) {
      throw new PolicyError('POLICY_INVALID', `${file.path}: surface "${surface}" is not in ${SURFACES_FILE}`, {
        file: file.path,
        surface,
      });
    }
    for (const policy of parsePolicyFile(file)) {
      const earlier = seen.get(policy.id);
      if (earlier) {
        throw new PolicyError('POLICY_INVALID', `${policy.path}: policy id "${policy.id}" is also used in ${earlier.path}`, {
          file: policy.path,
          policyId: policy.id,
          files: [earlier.path, policy.path],
        });
      }
      seen.set(policy.id, policy);
      policies.push(policy);
    }
  }

  const preparsed = new Map<string, PreparsedSurface>();
  for (const [surface, policies] of bySurface) {
    if (policies.length === 0) {
      // A surface with no policies would deny everything and hide a missing folder.
      throw new PolicyError('POLICY_INVALID', `${surface}/: surface "${surface}" has no policies`, { file: `${surface}/`, surface });
    }
    validatePolicies(schemaFile, policies);
    const config = registry.surfaces[surface] as SurfaceConfig;
    const approvalGroups = approvalPolicies(surface, config, policies);
    const policySetId = preparseSurface(`${digest}/${surface}`, surface, policies);
    // Step-up needs to know whether the request would pass without the approval forbids: a
    // second set without them answers that, asked only when approval policies refused.
    const withoutApprovals =
      approvalGroups.size > 0 ? preparseSurface(`${digest}/${surface}/without-approvals`, surface, policies.filter((p) => p.approvalGroup === undefined)) : null;
    preparsed.set(surface, { config, policySetId, approvalGroups, withoutApprovals });
  }

  return Object.freeze({
    digest,
    version,
    registry,
    principals,
    targets,
    surface: (name: string) => preparsed.get(name)?.config,
    evaluate(request: ActionRequest, options: EvaluateOptions): PolicyDecision {
      try {
        const surface = preparsed.get(request.surface);
        if (!surface) return { outcome: 'SILENCE', reasons: [DecisionReason.unknownSurface], policy: { digest } };
        const allowUnsigned = surface.config.mode === 'shadow' && surface.config.acceptUnsigned;
        const actor = proveActor(principals, request, options.signature, {
          now: options.now,
          allowUnsigned,
          assumeSigned: options.assumeSigned === true,
        });
        if (!actor.ok) return gateRefusal(actor.reason, digest, actor.detail);
        const listed = Object.hasOwn(targets.targets, request.target.id) ? targets.targets[request.target.id] : undefined;
        if (listed && listed.type !== request.target.type) {
          const detail = `target.type "${request.target.type}" is not the listed type of ${request.target.id} ("${listed.type}")`;
          // The actor was proven: the receipt still names the key that signed the request.
          return { ...gateRefusal(DecisionReason.targetMismatch, digest, detail), actorKeyId: actor.keyId };
        }
        const call = toCedarCall(request, options, {
          policySetId: surface.policySetId,
          schemaName,
          principalAttributes: actor.principal.attributes,
          targetTags: listed?.tags ?? [],
        });
        const named = () => contextMismatches(types, request.action, call.context);
        const decided = decisionFromAnswer(statefulIsAuthorized(call), digest, named);
        return { ...stepUp(decided, surface, call), actorKeyId: actor.keyId };
      } catch (error) {
        return evaluationError(digest, [error instanceof Error ? error.message : String(error)]);
      }
    },
  });
}

interface PreparsedSurface {
  config: SurfaceConfig;
  policySetId: string;
  /** Approval policy id → the operator group it names (`@approval("group")`). */
  approvalGroups: ReadonlyMap<string, string>;
  /** The surface's policies without the approval forbids; null when it has none. */
  withoutApprovals: string | null;
}

function preparseSurface(policySetId: string, surface: string, policies: readonly IdentifiedPolicy[]): string {
  const answer = preparsePolicySet(policySetId, {
    staticPolicies: Object.fromEntries(policies.map((policy) => [policy.id, policy.text])),
  });
  if (answer.type === 'failure') {
    const messages = answer.errors.map((error) => error.message).join('; ');
    throw new PolicyError('POLICY_INVALID', `${surface}/: ${messages}`, { file: `${surface}/`, surface });
  }
  return policySetId;
}

/**
 * The surface's approval policies. An approval policy on a surface that grants nobody approvals,
 * or naming a group the grant leaves out, could never be lifted: a configuration error, at load.
 */
function approvalPolicies(surface: string, config: SurfaceConfig, policies: readonly IdentifiedPolicy[]): Map<string, string> {
  const groups = new Map<string, string>();
  for (const policy of policies) {
    if (policy.approvalGroup === undefined) continue;
    if (!config.approvals?.groups.includes(policy.approvalGroup)) {
      throw new PolicyError(
        'POLICY_INVALID',
        `${policy.path}: policy "${policy.id}" asks for approval by "${policy.approvalGroup}", but ${SURFACES_FILE} surfaces.${surface}.approvals ${config.approvals ? `grants only ${config.approvals.groups.join(', ')}` : 'is not set'}`,
        { file: policy.path, policyId: policy.id, surface },
      );
    }
    groups.set(policy.id, policy.approvalGroup);
  }
  return groups;
}

/**
 * A DENY whose refusing policies are all approval policies becomes STEP_UP, if and only if the
 * request passes the surface's other policies (a permit matches, no other forbid does, no error).
 * Anything else is left as it was: a SILENCE or another refusal never becomes a step-up.
 */
function stepUp(decided: PolicyDecision, surface: PreparsedSurface, call: Parameters<typeof statefulIsAuthorized>[0]): PolicyDecision {
  if (decided.outcome !== 'DENY' || surface.withoutApprovals === null) return decided;
  if (decided.reasons.length === 0 || !decided.reasons.every((id) => surface.approvalGroups.has(id))) return decided;
  const rest = decisionFromAnswer(statefulIsAuthorized({ ...call, preparsedPolicySetId: surface.withoutApprovals }), decided.policy.digest as Digest);
  if (rest.outcome === 'SILENCE') return rest;
  if (rest.outcome !== 'PERMIT') {
    // Another obstacle stands (no permit matched): the refusal stays, naming everything that refused.
    return { ...decided, reasons: [...new Set([...decided.reasons, ...rest.reasons])].sort() };
  }
  const groups = [...new Set(decided.reasons.map((id) => surface.approvalGroups.get(id) as string))].sort();
  return { outcome: 'STEP_UP', reasons: decided.reasons, policy: decided.policy, approvalGroups: groups };
}

/**
 * A grant nobody can use is a configuration error, found at load: every group a surface grants
 * approvals or break-glass to must hold at least `quorum` principals with an operator key.
 */
function checkGrants(registry: SurfaceRegistry, principals: PrincipalRegistry): void {
  for (const [surface, config] of Object.entries(registry.surfaces)) {
    for (const [kind, grant] of [['approvals', config.approvals], ['breakGlass', config.breakGlass]] as const) {
      if (!grant) continue;
      const operators = Object.entries(principals.principals).filter(
        ([, p]) => p.groups.some((group) => grant.groups.includes(group)) && p.keys.some((key) => key.purpose === 'operator'),
      );
      if (operators.length < grant.quorum) {
        throw new PolicyError(
          'POLICY_INVALID',
          `${SURFACES_FILE}: surfaces.${surface}.${kind} needs ${grant.quorum} operator(s) in ${grant.groups.join(', ')}; ${PRINCIPALS_FILE} has ${operators.length}`,
          { file: SURFACES_FILE, surface, grant: kind },
        );
      }
    }
  }
}

function classify(files: readonly PolicyFile[]) {
  let registryFile: PolicyFile | undefined;
  let schemaFile: PolicyFile | undefined;
  let principalsFile: PolicyFile | undefined;
  let targetsFile: PolicyFile | undefined;
  const policyFiles: { file: PolicyFile; surface: string }[] = [];
  let previous: string | undefined;
  for (const file of files) {
    if (file.path === previous) {
      throw new PolicyError('POLICY_INVALID', `${file.path}: given twice`, { file: file.path });
    }
    previous = file.path;
    const surface = POLICY_PATH.exec(file.path)?.[1];
    if (file.path === SURFACES_FILE) registryFile = file;
    else if (file.path === SCHEMA_FILE) schemaFile = file;
    else if (file.path === PRINCIPALS_FILE) principalsFile = file;
    else if (file.path === TARGETS_FILE) targetsFile = file;
    else if (surface) policyFiles.push({ file, surface });
    else {
      throw new PolicyError(
        'POLICY_INVALID',
        `${file.path}: not part of a policy set (expected ${SURFACES_FILE}, ${SCHEMA_FILE}, ${PRINCIPALS_FILE}, ${TARGETS_FILE} or <surface>/*${POLICY_FILE_SUFFIX})`,
        { file: file.path },
      );
    }
  }
  if (!registryFile) throw new PolicyError('POLICY_INVALID', `${SURFACES_FILE}: missing`, { file: SURFACES_FILE });
  return { registryFile, schemaFile, principalsFile, targetsFile, policyFiles };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
