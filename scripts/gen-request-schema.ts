// Writes docs/action-request.schema.json from the zod schema. `npm run gen:schema`.
// test/request/request-json-schema.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestJsonSchemaText } from '../src/request/request-json-schema.js';

const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'action-request.schema.json');
writeFileSync(out, requestJsonSchemaText());
console.log(`wrote ${out}`);
