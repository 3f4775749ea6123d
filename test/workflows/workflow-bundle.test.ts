// The workflow bundle holds orchestration only: every module in it is loaded into the workflow
// sandbox and walked on every activation's imports, so validation (zod), Cedar, pg and Node
// built-ins stay in the activities. The bundle is the one global-setup built from workflows/index.ts.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../support/harness.js';

/** webpack's development output heads each module with its id: `/***\/ "./node_modules/zod/..."`. */
function bundledModules(code: string): string[] {
  return [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1] as string);
}

function packageOf(module: string): string {
  const rest = module.split('node_modules/').at(-1) as string;
  if (rest === module) return '(own)';
  const parts = rest.split('/');
  return (parts[0] as string).startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

describe('the workflow bundle', () => {
  it('carries no validation library, Cedar or Postgres client: the gate does that in its activity', async () => {
    const code = await readFile(testEnv().workflowBundlePath, 'utf8');
    const packages = new Set(bundledModules(code).map(packageOf));
    // @noble/hashes: the request hash (pure JS SHA-256). Not @noble/ed25519: a signature check in the
    // workflow cost ~20 ms of worker CPU per action (its tables are rebuilt for every workflow).
    expect([...packages].sort()).toEqual(['(own)', '@noble/hashes', '@temporalio/common', '@temporalio/workflow', 'long', 'ms', 'nexus-rpc']);
    const own = bundledModules(code).filter((m) => packageOf(m) === '(own)');
    // The request schema module would pull zod back in.
    expect(own.some((m) => m.includes('action-request'))).toBe(false);
  });

  it('stays small: under 2.2 MB with its inline source map (it was 3.0 MB with zod)', async () => {
    const code = await readFile(testEnv().workflowBundlePath, 'utf8');
    expect(code.length).toBeLessThan(2_200 * 1024);
  });
});
