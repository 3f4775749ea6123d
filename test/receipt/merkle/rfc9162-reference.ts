// A second, deliberately naive writing of RFC 9162 §2.1, straight from the RFC's text, for the
// tests to compare src/receipt/merkle against: recursive definitions over arrays (slices and
// all, O(n log n)), and the two verification algorithms transcribed line by line without the
// module's up-front length checks. Not for production use.
import { sha256 } from '@noble/hashes/sha2.js';

function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x01, ...left, ...right));
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** MTH(D[n]) of §2.1.1, over leaf hashes. */
export function referenceRoot(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0] as Uint8Array;
  const k = split(d.length);
  return hashChildren(referenceRoot(d.slice(0, k)), referenceRoot(d.slice(k)));
}

/** PATH(m, D[n]) of §2.1.3.1. */
export function referencePath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = split(d.length);
  if (m < k) return [...referencePath(m, d.slice(0, k)), referenceRoot(d.slice(k))];
  return [...referencePath(m - k, d.slice(k)), referenceRoot(d.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of §2.1.4.1. */
export function referenceConsistency(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [referenceRoot(d)];
  const k = split(n);
  if (m <= k) return [...subproof(m, d.slice(0, k), b), referenceRoot(d.slice(k))];
  return [...subproof(m - k, d.slice(k), false), referenceRoot(d.slice(0, k))];
}

/** §2.1.3.2 verbatim (numbers stay below 2^31 in these tests, so JS bit operators are fine). */
export function referenceVerifyInclusion(hash: Uint8Array, leafIndex: number, treeSize: number, path: readonly Uint8Array[], rootHash: Uint8Array): boolean {
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = hash;
  for (const p of path) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      r = hashChildren(p, r);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equal(r, rootHash);
}

/** §2.1.4.2 verbatim, for 0 < first < second (the only case the RFC's algorithm covers). */
export function referenceVerifyConsistency(first: number, second: number, firstHash: Uint8Array, secondHash: Uint8Array, consistencyPath: readonly Uint8Array[]): boolean {
  if (consistencyPath.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstHash, ...consistencyPath] : [...consistencyPath];
  let fn = first - 1;
  let sn = second - 1;
  while ((fn & 1) === 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return equal(fr, firstHash) && equal(sr, secondHash) && sn === 0;
}

/**
 * What the §2.1.3.2 walk does with each proof hash ('L': the hash goes on the left, 'R': on the
 * right). Two (index, size) pairs with the same walk compute the same root from the same proof,
 * so a proof alone cannot tell them apart: the size is bound by the signed tree head.
 */
export function inclusionWalk(leafIndex: number, treeSize: number): string {
  if (leafIndex >= treeSize || leafIndex < 0) return 'none';
  let fn = leafIndex;
  let sn = treeSize - 1;
  let walk = '';
  while (sn !== 0) {
    if ((fn & 1) === 1 || fn === sn) {
      walk += 'L';
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      walk += 'R';
    }
    fn >>= 1;
    sn >>= 1;
  }
  return walk;
}

/** Likewise for §2.1.4.2: whether the old root is prepended, then 'B' (both roots) or 'S' (second only) per hash. */
export function consistencyWalk(first: number, second: number): string {
  if (first < 1 || first >= second) return 'none';
  let fn = first - 1;
  let sn = second - 1;
  while ((fn & 1) === 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let walk = (first & (first - 1)) === 0 ? 'P' : '-';
  while (sn !== 0) {
    if ((fn & 1) === 1 || fn === sn) {
      walk += 'B';
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      walk += 'S';
    }
    fn >>= 1;
    sn >>= 1;
  }
  return walk;
}
