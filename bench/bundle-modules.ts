// Which source module a line of a webpack workflow bundle belongs to, so a CPU profile of the
// workflow thread can be read per package (zod, @temporalio/workflow, ...) instead of "the bundle".
import { basename } from 'node:path';

export interface BundleModules {
  /** The file name V8 reports for the bundle: the `file` of its inline source map. */
  file: string;
  /** Module path (as webpack names it, e.g. ./node_modules/zod/v4/core/core.js) of a 1-based line. */
  moduleAt(line: number): string | undefined;
}

// Webpack's dev-style output heads every module with `/***/ "<module id>"`.
const MODULE_HEADER = /^\/\*\*\*\/ "([^"]+)"/;

export function bundleModules(code: string): BundleModules | undefined {
  const map = /sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code)?.[1];
  if (!map) return undefined;
  const file = (JSON.parse(Buffer.from(map, 'base64').toString('utf8')) as { file?: string }).file;
  if (!file) return undefined;
  const starts: Array<{ line: number; module: string }> = [];
  code.split('\n').forEach((text, i) => {
    const id = MODULE_HEADER.exec(text)?.[1];
    if (id) starts.push({ line: i + 1, module: id });
  });
  return {
    file: basename(file),
    moduleAt(line) {
      // Last header at or before the line; binary search over ascending starts.
      let lo = 0;
      let hi = starts.length - 1;
      let found: string | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const start = starts[mid] as { line: number; module: string };
        if (start.line <= line) {
          found = start.module;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found;
    },
  };
}
