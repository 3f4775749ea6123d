// The note modules must run where the stand-alone verifier runs: no Node built-in, no Buffer.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ENTRY = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/receipt/note/index.ts');
const SPECIFIER = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

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
