import { ActionGateError } from '../errors.js';

export type CanonicalJsonErrorCode = 'NOT_JSON';

export class CanonicalJsonError extends ActionGateError<CanonicalJsonErrorCode> {}

/**
 * RFC 8785 (JCS) canonical JSON: object members sorted by UTF-16 code units, no white space,
 * numbers in ECMAScript shortest form, strings with JSON.stringify's minimal escaping.
 * Refuses anything that is not plain JSON (undefined, functions, NaN, Infinity, bigint, cycles)
 * rather than silently dropping it, because these bytes get hashed and signed.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set(), []);
}

/**
 * Where the value being written sits: array indices and object keys from the top. Kept as a stack
 * and turned into text (`$.a[0]`) only for an error: it runs on every request, receipt and hash.
 */
type PathStack = (string | number)[];

function write(value: unknown, seen: Set<object>, path: PathStack): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `${value} is not a JSON number`);
      // ECMAScript Number::toString is exactly the RFC 8785 number form; -0 serializes as 0.
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (seen.has(value)) throw notJson(path, 'cycle');
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = '[';
        // A plain loop, not forEach: forEach skips holes and would silently compact a sparse array.
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          path.push(i);
          out += write(value[i], seen, path);
          path.pop();
        }
        out += ']';
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) throw notJson(path, 'not a plain object');
        const record = value as Record<string, unknown>;
        // Default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks for.
        const keys = Object.keys(record).sort();
        out = '{';
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k] as string;
          const member = record[key];
          path.push(key);
          if (member === undefined) throw notJson(path, 'undefined is not JSON');
          if (k > 0) out += ',';
          out += JSON.stringify(key) + ':' + write(member, seen, path);
          path.pop();
        }
        out += '}';
      }
      seen.delete(value);
      return out;
    }
    default:
      throw notJson(path, `${typeof value} is not JSON`);
  }
}

/** The error for the value at `path`, which is named as `$`, `$.key`, `$[0]`, `$.a[1].b`. */
function notJson(stack: PathStack, problem: string): CanonicalJsonError {
  let path = '$';
  for (const step of stack) path += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return new CanonicalJsonError('NOT_JSON', `${path}: ${problem}`, { path });
}
