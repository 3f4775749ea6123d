// JSON Schema 2020-12 validation for tests (ajv, with formats): the request schema and the OpenAPI
// document's component schemas are checked against what the code accepts and sends.
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats, { type FormatsPlugin } from 'ajv-formats';

/** A fresh ajv for the 2020-12 dialect, with `format` checked (date-time, uri, ...). */
export function ajv2020(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // ajv-formats is CommonJS: under NodeNext its default import is the plugin at run time, typed as the module.
  (formats as unknown as FormatsPlugin)(ajv);
  return ajv;
}
