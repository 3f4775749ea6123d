// The modules an entry loads statically, for the tests that keep the stand-alone verifier (and the
// note and Merkle modules it loads) free of Node built-ins and heavy packages.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// Static value imports and re-exports; `import type` / `export type` are erased and do not count.
const SPECIFIER = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every module the entry loads statically: relative ones by resolved path, packages by name. */
export function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
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
