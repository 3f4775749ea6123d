#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so there is no build step and no build output.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2), process.env);
