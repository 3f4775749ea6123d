import type { DetailedError } from '@cedar-policy/cedar-wasm/nodejs';

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One line per Cedar error: `line:column: message (label)`. Cedar reports source locations as
 * UTF-8 byte offsets into the text it was given; a line and column are what an author can find.
 *
 * @example formatCedarError(error, text) === '3:47: unexpected token `}` (expected ...)'
 */
export function formatCedarError(error: DetailedError, text: string): string {
  const location = error.sourceLocations?.[0];
  const where = location ? `${lineAndColumn(text, location.start)}: ` : '';
  const label = location?.label ? ` (${location.label})` : '';
  return `${where}${error.message}${label}`;
}

function lineAndColumn(text: string, byteOffset: number): string {
  const before = decoder.decode(utf8.encode(text).subarray(0, byteOffset));
  const lines = before.split('\n');
  return `${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
}
