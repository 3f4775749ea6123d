// `node --import=<this file>`: appends the URL of every module the process resolves (ES imports,
// and the first require of a package from an ES module) to the file MODULE_TRACE_FILE names.
// test/cli/lazy-loading.test.ts uses it to see which packages a command loads.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
