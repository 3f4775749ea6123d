// The note modules must run where the stand-alone verifier runs: no Node built-in, no Buffer.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../support/import-graph.js';

const ENTRY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/receipt/note/index.ts');

describe('src/receipt/note/index.ts', () => {
  const { files, packages } = importGraph(ENTRY);

  it('loads only pure-JS packages, and not the Node back end', () => {
    expect([...packages].sort()).toEqual(['@noble/ed25519', '@noble/hashes/sha2.js', '@noble/hashes/utils.js']);
    expect([...files].some((file) => file.endsWith('node-backend.ts'))).toBe(false);
  });

  it('uses no Buffer or node:crypto in its own modules', () => {
    for (const file of files) {
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(source, file).not.toMatch(/\bBuffer\b|node:crypto|\brequire\(/);
    }
  });
});
