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
  const parts: string[] = [];
  write(value, parts, new Set(), '$');
  return parts.join('');
}

function write(value: unknown, out: string[], seen: Set<object>, path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonError('NOT_JSON', `${path}: ${value} is not a JSON number`, { path });
      }
      // ECMAScript Number::toString is exactly the RFC 8785 number form; -0 serializes as 0.
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'object': {
      if (seen.has(value)) throw new CanonicalJsonError('NOT_JSON', `${path}: cycle`, { path });
      seen.add(value);
      if (Array.isArray(value)) {
        out.push('[');
        // A plain loop, not forEach: forEach skips holes and would silently compact a sparse array.
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          write(value[i], out, seen, `${path}[${i}]`);
        }
        out.push(']');
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw new CanonicalJsonError('NOT_JSON', `${path}: not a plain object`, { path });
        }
        const record = value as Record<string, unknown>;
        // Default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks for.
        const keys = Object.keys(record).sort();
        out.push('{');
        let first = true;
        for (const key of keys) {
          const member = record[key];
          if (member === undefined) {
            throw new CanonicalJsonError('NOT_JSON', `${path}.${key}: undefined is not JSON`, { path: `${path}.${key}` });
          }
          if (!first) out.push(',');
          first = false;
          out.push(JSON.stringify(key), ':');
          write(member, out, seen, `${path}.${key}`);
        }
        out.push('}');
      }
      seen.delete(value);
      return;
    }
    default:
      throw new CanonicalJsonError('NOT_JSON', `${path}: ${typeof value} is not JSON`, { path });
  }
}
