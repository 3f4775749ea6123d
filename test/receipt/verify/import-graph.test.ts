import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/paths.js';

const ENTRY = join(REPO_ROOT, 'src', 'receipt', 'verify', 'index.ts');
// Static value imports and re-exports; `import type` / `export type` are erased and do not count.
const SPECIFIER = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every module the entry loads statically: relative ones by resolved path, packages by name. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('the verifier entry src/receipt/verify/index.ts', () => {
  const { files, packages } = importGraph(ENTRY);

  it('is found with its pure dependencies', () => {
    expect([...files].map((file) => file.slice(REPO_ROOT.length + 1))).toEqual(
      expect.arrayContaining(['src/receipt/verify/verify-log.ts', 'src/request/canonical-json.ts', 'src/request/digest.ts']),
    );
    expect(packages).toContain('@noble/ed25519');
  });

  describe('when walking its static imports transitively', () => {
    it('reaches no pg, Temporal, Cedar or Node built-in', () => {
      const forbidden = [...packages].filter(
        (name) => name === 'pg' || name.startsWith('pg/') || name.startsWith('@temporalio/') || name.startsWith('@cedar-policy/') || name.startsWith('node:'),
      );
      expect(forbidden).toEqual([]);
      expect([...packages].sort()).toEqual(['@noble/ed25519', '@noble/hashes/sha2.js', '@noble/hashes/utils.js', 'zod']);
    });

    it('does not load the Node back end, which needs node:crypto', () => {
      expect([...files].some((file) => file.endsWith('node-backend.ts'))).toBe(false);
    });
  });
});
