#!/usr/bin/env node
// Runs the built CLI (dist/, from `npm run build`); nothing is transpiled at run time.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('actiongate: the built CLI (dist/src/cli/main.js) is missing; run npm run build\n');
  process.exit(1);
}
const { run } = await import(main.href);
await run(process.argv.slice(2), process.env);
