// Index arithmetic on tree sizes up to Number.MAX_SAFE_INTEGER. JavaScript's bit operators work
// on 32 bits, so a shift is a halving and a low bit is a remainder: exact for safe integers.

/** A tree size or leaf index: a non-negative safe integer. */
export function isTreeCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isOdd(value: number): boolean {
  return value % 2 === 1;
}

/** `value >> 1` for any safe integer. */
export function half(value: number): number {
  return Math.floor(value / 2);
}

/** The largest power of two strictly below `n` (the `k` of RFC 9162 §2.1.1); `n` is at least 2. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && !isOdd(v)) v = half(v);
  return v === 1;
}

/** Number of set bits of a safe integer. */
export function popCount(value: number): number {
  let count = 0;
  for (let v = value; v > 0; v = half(v)) if (isOdd(v)) count++;
  return count;
}

/**
 * How many hashes RFC 9162's verification walk (2.1.3.2 and 2.1.4.2) consumes from node `fn` up to
 * the last node `sn`: one per level, with the right edge's levels of a left-hand `fn` skipped.
 */
export function walkSteps(fn: number, sn: number): number {
  let steps = 0;
  let f = fn;
  let s = sn;
  while (s !== 0) {
    steps++;
    if (!isOdd(f) && f === s) {
      while (!isOdd(f) && f !== 0) {
        f = half(f);
        s = half(s);
      }
    }
    f = half(f);
    s = half(s);
  }
  return steps;
}
