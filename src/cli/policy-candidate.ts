import { readFile, stat } from 'node:fs/promises';
import { SignedBundleSchema } from '../bundle/bundle-schema.js';
import { bundleDigest } from '../bundle/bundle-encoding.js';
import { compileVerifiedBundle } from '../bundle/compile-verified-bundle.js';
import { verifyBundle } from '../bundle/verify-bundle.js';
import { loadKeySet } from '../keys/key-set-schema.js';
import { readPolicyDir } from '../policy/policy-files.js';
import { compilePolicySet, type CompiledPolicySet } from '../policy/policy-set.js';
import { CliError } from './cli-error.js';
import type { ActionGateConfig } from './config.js';

/**
 * A policy set to evaluate with, from a policy directory or a bundle file. A bundle's signature
 * is checked against ACTIONGATE_BUNDLE_KEYS when set; without it the bundle is only parsed (the
 * caller says so: what-if evaluations enforce nothing).
 */
export async function loadCandidatePolicySet(
  config: ActionGateConfig,
  path: string,
): Promise<{ set: CompiledPolicySet; verified: boolean | 'directory' }> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    throw new CliError('INVALID_INPUT', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (isDirectory) return { set: compilePolicySet(await readPolicyDir(path)), verified: 'directory' };
  return policySetFromBundleText(config, await readFile(path, 'utf8'), path);
}

/** A bundle's policy set, named by the bundle digest; verified when trusted keys are configured. */
export async function policySetFromBundleText(
  config: ActionGateConfig,
  text: string,
  source: string,
): Promise<{ set: CompiledPolicySet; verified: boolean }> {
  if (config.bundleKeys !== undefined) {
    return { set: compileVerifiedBundle(verifyBundle(text, await loadKeySet(config.bundleKeys))), verified: true };
  }
  let parsed;
  try {
    parsed = SignedBundleSchema.parse(JSON.parse(text));
  } catch (err) {
    throw new CliError('INVALID_INPUT', `${source} is neither a policy directory nor a policy bundle: ${(err as Error).message.split('\n')[0]}`);
  }
  const files = Object.entries(parsed.body.files).map(([p, t]) => ({ path: p, text: t }));
  return {
    set: compilePolicySet(files, { digest: bundleDigest(parsed.body), version: parsed.body.metadata.version }),
    verified: false,
  };
}
