import { preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { ActionRequest } from '../request/action-request.js';
import { DIGEST_PATTERN, digestJson, type Digest } from '../request/digest.js';
import { decisionFromAnswer, evaluationError } from './cedar-answer.js';
import { toCedarCall } from './cedar-request.js';
import { DecisionReason, type PolicyDecision } from './decision.js';
import { parsePolicyFile, type IdentifiedPolicy } from './policy-file-parser.js';
import { POLICY_FILE_SUFFIX, SCHEMA_FILE, type PolicyFile } from './policy-files.js';
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
  /** The surface's configuration, or undefined if the registry does not name it. */
  surface(name: string): SurfaceConfig | undefined;
  /** Decides one request at the given instant. Never throws: every failure is SILENCE. */
  evaluate(request: ActionRequest, clock: { now: Date }): PolicyDecision;
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
  const { registryFile, schemaFile, policyFiles } = classify(sorted);

  const contents: Record<string, string> = {};
  for (const file of sorted) contents[file.path] = file.text;
  const digest = options.digest ?? digestJson({ v: 1, files: contents });
  if (!DIGEST_PATTERN.test(digest)) {
    // It names Cedar's preparsed sets and every receipt: a malformed one is a caller bug, refused.
    throw new PolicyError('POLICY_INVALID', `policy set digest ${JSON.stringify(digest)} is not sha256: and 64 hex digits`, { digest });
  }
  const version = options.version ?? null;

  const registry = deepFreeze(parseSurfaceRegistry(registryFile.text, registryFile.path));
  if (schemaFile) checkSchema(schemaFile);

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

  const preparsed = new Map<string, { config: SurfaceConfig; policySetId: string }>();
  for (const [surface, policies] of bySurface) {
    if (policies.length === 0) {
      // A surface with no policies would deny everything and hide a missing folder.
      throw new PolicyError('POLICY_INVALID', `${surface}/: surface "${surface}" has no policies`, { file: `${surface}/`, surface });
    }
    if (schemaFile) validatePolicies(schemaFile, policies);
    const policySetId = `${digest}/${surface}`;
    const answer = preparsePolicySet(policySetId, {
      staticPolicies: Object.fromEntries(policies.map((policy) => [policy.id, policy.text])),
    });
    if (answer.type === 'failure') {
      const messages = answer.errors.map((error) => error.message).join('; ');
      throw new PolicyError('POLICY_INVALID', `${surface}/: ${messages}`, { file: `${surface}/`, surface });
    }
    preparsed.set(surface, { config: registry.surfaces[surface] as SurfaceConfig, policySetId });
  }

  return Object.freeze({
    digest,
    version,
    registry,
    surface: (name: string) => preparsed.get(name)?.config,
    evaluate(request: ActionRequest, clock: { now: Date }): PolicyDecision {
      try {
        const target = preparsed.get(request.surface);
        if (!target) return { outcome: 'SILENCE', reasons: [DecisionReason.unknownSurface], policy: { digest } };
        return decisionFromAnswer(statefulIsAuthorized(toCedarCall(request, clock, target.policySetId)), digest);
      } catch (error) {
        return evaluationError(digest, [error instanceof Error ? error.message : String(error)]);
      }
    },
  });
}

function classify(files: readonly PolicyFile[]) {
  let registryFile: PolicyFile | undefined;
  let schemaFile: PolicyFile | undefined;
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
    else if (surface) policyFiles.push({ file, surface });
    else {
      throw new PolicyError(
        'POLICY_INVALID',
        `${file.path}: not part of a policy set (expected ${SURFACES_FILE}, ${SCHEMA_FILE} or <surface>/*${POLICY_FILE_SUFFIX})`,
        { file: file.path },
      );
    }
  }
  if (!registryFile) throw new PolicyError('POLICY_INVALID', `${SURFACES_FILE}: missing`, { file: SURFACES_FILE });
  return { registryFile, schemaFile, policyFiles };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
