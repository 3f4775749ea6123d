/**
 * RFC 6901 JSON pointers into a tool call's arguments (`/to`, `/payee/iban`, `/items/0`), as the
 * MCP gateway's configuration maps arguments to a request's target, context and key. Only
 * pointers into the arguments: the empty pointer (the whole document) is not one.
 */

/** `/` then tokens in which `~` is escaped as `~0` and `/` as `~1`. */
export const JSON_POINTER_PATTERN = /^(?:\/(?:[^~/]|~[01])*)+$/;

/**
 * The reference tokens of a pointer, unescaped.
 *
 * @example pointerTokens('/a~1b/c') // ['a/b', 'c']
 */
export function pointerTokens(pointer: string): string[] {
  if (!JSON_POINTER_PATTERN.test(pointer)) throw new TypeError(`not a JSON pointer into the arguments: ${JSON.stringify(pointer)}`);
  // ~1 before ~0, so that "~01" becomes "~1" and not "/" (RFC 6901 section 4).
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The value a pointer names, or `undefined` when there is none. Only own members count: `/__proto__`
 * or `/constructor` never reach an object's prototype. Array indexes are `0` or digits without a leading zero.
 *
 * @example resolvePointer({ payee: { iban: 'NL91' } }, '/payee/iban') === 'NL91'
 */
export function resolvePointer(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/**
 * How an argument is named to the model: its name for a top-level one (`"to"`), else the pointer
 * (`/payee/iban`).
 */
export function argumentName(pointer: string): string {
  const tokens = pointerTokens(pointer);
  return tokens.length === 1 ? JSON.stringify(tokens[0]) : pointer;
}
