import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../support/import-graph.js';
import { REPO_ROOT } from '../../support/paths.js';

const ENTRY = join(REPO_ROOT, 'src', 'receipt', 'verify', 'index.ts');

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
