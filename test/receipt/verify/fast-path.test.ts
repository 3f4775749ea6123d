// The verifier's fast path (src/receipt/verify: fast-shape.ts, the line-derived
// hash, signing input and receipt id in parse-line.ts, the per-key caches and byte-level strict
// checks of the back ends) must answer exactly as the plain path did: zod, canonicalJson of the
// whole value, the full pure-JS strict checks before each library.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import type { DecisionReceiptBody, OperatorReceiptBody, OutcomeReceiptBody, ReceiptBody } from '../../../src/receipt/receipt-body.js';
import { receiptId } from '../../../src/receipt/receipt-id.js';
import { receiptHash, receiptSigningInput, signReceipt, type SignedReceipt } from '../../../src/receipt/signed-receipt.js';
import { passesStrictByteChecks } from '../../../src/receipt/verify/ed25519-strict.js';
import type { Ed25519Backend } from '../../../src/receipt/verify/ed25519-backend.js';
import { isCommonReceipt } from '../../../src/receipt/verify/fast-shape.js';
import {
  decodeBase64url,
  encodeBase64url,
  parseExportLine,
  passesStrictEncodingChecks,
  verifyLog,
  type ParsedLine,
  type Problem,
} from '../../../src/receipt/verify/index.js';
import { nobleBackend } from '../../../src/receipt/verify/noble-backend.js';
import { nodeBackend } from '../../../src/receipt/verify/node-backend.js';
import { issuesOf, SignedCheckpointSchema, SignedReceiptSchema } from '../../../src/receipt/verify/schemas.js';
import { canonicalJson } from '../../../src/request/canonical-json.js';
import { sha256Text } from '../../../src/request/digest.js';
import { DENY_BODY, OUTCOME_BODY, PERMIT_BODY, testKey1Signer, TRUST_KEY_1_RECEIPTS } from '../../fixtures/receipts/golden-receipts.js';
import { TEST_KEY_1 } from '../../fixtures/signing-keys.js';
import { VECTORS_DIR } from '../../support/paths.js';
import { decisionBodies, signChain } from '../chain-builder.js';

ed.hashes.sha512 = sha512;

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** parseExportLine as it was before the fast path: zod, then canonicalJson of the whole value, then sha256 of the line. */
function referenceParse(text: string, line?: number): ParsedLine {
  const at = line === undefined ? {} : { line };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problems: [{ code: 'MALFORMED', ...at, message: 'not JSON' }] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, problems: [{ code: 'MALFORMED', ...at, message: 'a receipt or checkpoint is a JSON object' }] };
  }
  const record = json as Record<string, unknown>;
  const log = record['log'];
  const claimed = typeof log === 'object' && log !== null ? (log as Record<string, unknown>)['seq'] : undefined;
  const seq = typeof claimed === 'number' && Number.isSafeInteger(claimed) ? claimed : undefined;
  const where = { ...(seq === undefined ? {} : { seq }), ...at };
  if (record['v'] !== 1) {
    return { ok: false, problems: [{ code: 'UNSUPPORTED_VERSION', ...where, message: `version ${JSON.stringify(record['v'])} is not supported (expected 1)` }] };
  }
  const isCheckpoint = record['kind'] === 'checkpoint';
  if (!isCheckpoint) {
    const body = record['body'];
    const bodyVersion = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['v'] : undefined;
    if (bodyVersion !== undefined && bodyVersion !== 1) {
      return { ok: false, problems: [{ code: 'UNSUPPORTED_VERSION', ...where, message: `body version ${JSON.stringify(bodyVersion)} is not supported (expected 1)` }] };
    }
  }
  const parsed = isCheckpoint ? SignedCheckpointSchema.safeParse(json) : SignedReceiptSchema.safeParse(json);
  if (!parsed.success) {
    const message = `not a v1 ${isCheckpoint ? 'checkpoint' : 'receipt'}: ${issuesOf(parsed.error).join('; ')}`;
    return { ok: false, problems: [{ code: 'MALFORMED', ...where, message }] };
  }
  const canonical = canonicalJson(parsed.data);
  if (canonical !== text) {
    return { ok: false, problems: [{ code: 'NOT_CANONICAL', ...where, message: 'the line is not the RFC 8785 canonical JSON of its content' }] };
  }
  if (isCheckpoint) return { ok: true, entry: { kind: 'checkpoint', checkpoint: parsed.data as never, ...at } };
  return { ok: true, entry: { kind: 'receipt', envelope: parsed.data as SignedReceipt, hash: sha256Text(canonical), ...at } };
}

/** A parse result as text: the problems, or the receipt with its hash, signing input and id (as the reference would have them). */
function summary(result: ParsedLine, reference: boolean): string {
  if (!result.ok) return JSON.stringify(result.problems);
  const entry = result.entry;
  if (entry.kind === 'checkpoint') return JSON.stringify(entry);
  const { envelope } = entry;
  const signingInput = reference ? receiptSigningInput(envelope) : entry.signingInput;
  const id = reference ? (envelope.body.kind === 'decision' ? receiptId(envelope.body) : undefined) : entry.id;
  return JSON.stringify([canonicalJson(envelope), entry.hash, entry.line, signingInput === undefined ? null : Buffer.from(signingInput).toString('hex'), id ?? null]);
}

/** The fast parse agrees with the reference on `text`: the same problems, or the same receipt, hash, signing input and id. */
function expectSameParse(text: string, line?: number): void {
  const expected = summary(referenceParse(text, line), true);
  for (const hashing of [undefined, nodeBackend]) {
    const actual = summary(parseExportLine(text, line, hashing), false);
    if (actual !== expected) expect({ text, actual }).toEqual({ text, actual: expected });
  }
}

const signer = testKey1Signer();
const OPERATOR_BODY = (decision: DecisionReceiptBody): OperatorReceiptBody => ({
  v: 1,
  kind: 'approval',
  idempotencyKey: decision.idempotencyKey,
  workflowId: decision.workflowId,
  runId: decision.runId,
  requestHash: decision.requestHash,
  actor: decision.actor,
  surface: decision.surface,
  action: decision.action,
  target: decision.target,
  issuedAt: '2026-11-24T10:05:00.000Z',
  decisionReceiptId: receiptId(decision),
  outcome: 'PERMIT',
  reasons: ['approved'],
  policy: decision.policy,
  approvals: [
    {
      statement: {
        v: 1,
        workflowId: decision.workflowId,
        runId: decision.runId,
        requestHash: decision.requestHash,
        decisionReceiptId: receiptId(decision),
        verdict: 'approve',
        reason: 'looks right',
        operatorId: 'olivia',
        expiresAt: '2026-11-24T11:00:00.000Z',
        nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
      },
      keyId: TEST_KEY_1.keyId,
      sig: encodeBase64url(new Uint8Array(64)),
    },
  ],
});
const stepUp: DecisionReceiptBody = {
  ...PERMIT_BODY,
  idempotencyKey: 'act-step-up',
  workflowId: 'act-step-up',
  outcome: 'STEP_UP',
  operators: { kind: 'approval', requirements: [{ groups: ['treasury'], quorum: 1 }], reasonRequired: false, until: '2026-11-24T10:15:00.000Z' },
};
const failed: OutcomeReceiptBody = {
  ...OUTCOME_BODY,
  dispatch: { status: 'failed', resultHash: null, error: { code: 'TIMEOUT', message: 'the "bank" said \\ no\n, é 😀 \u2028' } },
};
const unusual: DecisionReceiptBody = {
  ...DENY_BODY,
  reasons: ['a', 'a', 'b\u0000', 'é'],
  detail: 'quote " backslash \\ control \u0001 line\u2028 emoji 😀 lone \ud800',
  target: { type: 'account', id: '\u007f\u0080' },
  actor: { id: 'agent-1', type: 'agent', keyId: TEST_KEY_1.keyId },
  policy: { digest: `sha256:${'0'.repeat(64)}`, version: 'v1' },
  mode: 'shadow',
};
const bodies: ReceiptBody[] = [PERMIT_BODY, OUTCOME_BODY, DENY_BODY, stepUp, OPERATOR_BODY(stepUp), failed, unusual, ...decisionBodies(2)];
const chain = signChain(bodies, () => signer);
const validLines = chain.map((receipt) => canonicalJson(receipt));

describe('the fast path of parseExportLine', () => {
  describe('when given valid lines of every kind', () => {
    it('takes the fast shape check exactly for decision receipts without operators and outcome receipts', () => {
      expect(validLines.map((text) => isCommonReceipt(JSON.parse(text)))).toEqual([true, true, true, false, false, true, true, true, true]);
    });

    it('parses each as the reference does', () => {
      validLines.forEach((text, i) => expectSameParse(text, i + 1));
      expectSameParse(validLines[0] as string);
    });
  });

  describe('when every character of a valid line is replaced, removed or doubled', () => {
    it('gives the same problems (code, seq, line, message) or the same receipt as the reference', { timeout: 60_000 }, () => {
      const replacements = ['"', '\\', '1', 'a', ' '];
      let checked = 0;
      for (const text of [validLines[0]!, validLines[3]!, validLines[5]!, validLines[6]!]) {
        for (let i = 0; i < text.length; i++) {
          const variants = [text.slice(0, i) + text.slice(i + 1), text.slice(0, i + 1) + text.slice(i)];
          for (const char of replacements) if (char !== text[i]) variants.push(text.slice(0, i) + char + text.slice(i + 1));
          for (const variant of variants) {
            expectSameParse(variant, 7);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(15_000);
    });
  });

  describe('when a member anywhere in a valid receipt is removed, retyped, added or the members reordered', () => {
    const values: unknown[] = [null, 0, -0, 1, 2, 1.5, -1, 2 ** 53, '', 'x', 'PERMIT', 'decision', 'outcome', true, false, [], {}, ['a'], `sha256:${'1'.repeat(64)}`, '2026-11-24T10:00:00Z', TEST_KEY_1.keyId, 'x'.repeat(2_001)];

    /** Every value reachable from `root`, with a function that returns a copy of root with that value replaced (or removed when `undefined`). */
    function* mutations(root: unknown): Generator<unknown> {
      function* walk(node: unknown, rebuild: (replacement: unknown) => unknown): Generator<unknown> {
        for (const value of values) yield rebuild(value);
        if (Array.isArray(node)) {
          yield rebuild([...node].reverse());
          yield rebuild([...node, node[0]]);
          yield rebuild(node.slice(1));
          for (let i = 0; i < node.length; i++) {
            yield* walk(node[i], (replacement) => rebuild(node.map((item, j) => (j === i ? replacement : item))));
          }
        } else if (typeof node === 'object' && node !== null) {
          const record = node as Record<string, unknown>;
          const keys = Object.keys(record);
          yield rebuild(Object.fromEntries(keys.reverse().map((key) => [key, record[key]])));
          yield rebuild({ ...record, extra: 1 });
          yield rebuild({ ...record, operators: (stepUp as { operators: unknown }).operators });
          for (const key of Object.keys(record)) {
            const { [key]: _removed, ...rest } = record;
            yield rebuild(rest);
            yield* walk(record[key], (replacement) => rebuild({ ...record, [key]: replacement }));
          }
        }
      }
      yield* walk(root, (replacement) => replacement);
    }

    it('says yes in the fast check only to what the schema accepts, with the same content', { timeout: 60_000 }, () => {
      let fast = 0;
      let total = 0;
      for (const text of validLines) {
        for (const mutated of mutations(JSON.parse(text))) {
          const json = JSON.parse(JSON.stringify(mutated)) as unknown;
          total++;
          if (!isCommonReceipt(json)) continue;
          fast++;
          const parsed = SignedReceiptSchema.safeParse(json);
          expect(parsed.success, JSON.stringify(json)).toBe(true);
          expect(parsed.data).toEqual(json);
          expect(JSON.stringify(json)).toBe(canonicalJson(json));
        }
      }
      expect(total).toBeGreaterThan(5_000);
      expect(fast).toBeGreaterThan(100);
    });

    it('parses the canonical and the plain JSON of each as the reference does', { timeout: 60_000 }, () => {
      validLines.forEach((text, index) => {
        for (const mutated of mutations(JSON.parse(text))) {
          expectSameParse(JSON.stringify(mutated), index + 1);
          let canonical: string | undefined;
          try {
            canonical = canonicalJson(mutated);
          } catch {
            canonical = undefined;
          }
          if (canonical !== undefined) expectSameParse(canonical, index + 1);
        }
      });
    });
  });

  describe('when verifying a log with and without the back end lending its SHA-256', () => {
    it('reports the same', () => {
      const plain: Ed25519Backend = { name: nodeBackend.name, verify: (publicKey, message, signature) => nodeBackend.verify(publicKey, message, signature) };
      const edited = [...validLines];
      edited[2] = (edited[2] as string).replace('"acct-7"', '"acct-8"');
      edited.splice(5, 1);
      expect(verifyLog(edited, TRUST_KEY_1_RECEIPTS, nodeBackend)).toEqual(verifyLog(edited, TRUST_KEY_1_RECEIPTS, plain));
      expect(verifyLog(validLines, TRUST_KEY_1_RECEIPTS, nodeBackend)).toEqual(verifyLog(validLines, TRUST_KEY_1_RECEIPTS, plain));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Strict checks: each back end now runs the byte-level checks and leaves "R is on the curve" to
// its library; the answer must be the one of the full pure-JS checks followed by the library.

interface WycheproofFile {
  testGroups: { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' }[] }[];
}
const wycheproof = JSON.parse(await readFile(join(VECTORS_DIR, 'wycheproof', 'ed25519_test.json'), 'utf8')) as WycheproofFile;
const vectors = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })));
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** The back ends as they were: the full strict checks (R decompressed), then the library. */
const before: Record<string, (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean> = {
  [nodeBackend.name]: (publicKey, message, signature) => {
    if (!passesStrictEncodingChecks(publicKey, signature)) return false;
    try {
      return nodeVerify(null, message, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }), signature);
    } catch {
      return false;
    }
  },
  [nobleBackend.name]: (publicKey, message, signature) => {
    if (!passesStrictEncodingChecks(publicKey, signature)) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const toBytesLE = (value: bigint, length = 32): Uint8Array => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return bytes;
};
const fromBytesLE = (bytes: Uint8Array): bigint => bytes.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

// RFC 8032 TEST 1's secret key, so signatures with a chosen R can be made: S = r + k·a mod L.
const SECRET = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const extended = ed.utils.getExtendedPublicKey(SECRET);
const A = extended.pointBytes;
/** A signature with R given as bytes (decoding to the point r·B, r known): the group equation holds for R's point. */
function signWithR(rBytes: Uint8Array, r: bigint, message: Uint8Array): Uint8Array {
  const k = fromBytesLE(sha512(concat(rBytes, A, message))) % L;
  return concat(rBytes, toBytesLE((r + k * extended.scalar) % L));
}

/** Every encoding of the eight small-order points, canonical or not (y + p where it fits below 2^255, the sign bit of x set or clear). */
function smallOrderEncodings(): Uint8Array[] {
  const encodings: Uint8Array[] = [];
  const identity = ed.Point.ZERO;
  const torsion = [identity];
  // The 8-torsion: multiples of a point of order 8 (from the Wycheproof / ZIP-215 lists: y = 0x26e8...0x05 encodes one).
  const order8 = ed.Point.fromBytes(hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), false);
  for (let i = 1; i < 8; i++) torsion.push(torsion[i - 1]!.add(order8));
  for (const point of torsion) {
    const canonical = point.toBytes();
    const y = fromBytesLE(canonical) & ((1n << 255n) - 1n);
    for (const yy of [y, y + P]) {
      if (yy >= 2n ** 255n) continue;
      for (const sign of [0n, 1n]) encodings.push(toBytesLE(yy | (sign << 255n)));
    }
  }
  return encodings;
}

describe.each([nodeBackend, nobleBackend])('the strict checks of $name', (backend) => {
  const old = before[backend.name]!;

  describe('when checking the Wycheproof Ed25519 vectors', () => {
    it('answers as the full checks and the library did, and as the vectors say', () => {
      for (const c of vectors) {
        const answer = backend.verify(hex(c.pk), hex(c.msg), hex(c.sig));
        expect([c.tcId, answer]).toEqual([c.tcId, old(hex(c.pk), hex(c.msg), hex(c.sig))]);
        expect([c.tcId, answer]).toEqual([c.tcId, c.result === 'valid']);
      }
    });
  });

  describe('when R of a valid receipt signature is changed in any way', () => {
    it('answers as the full checks and the library did (always no)', () => {
      const [receipt] = chain;
      const message = receiptSigningInput(receipt!);
      const publicKey = decodeBase64url(TEST_KEY_1.publicKey, 32)!;
      const signature = decodeBase64url(receipt!.sig, 64)!;
      expect(backend.verify(publicKey, message, signature)).toBe(true);
      const next = random(7);
      const rs: Uint8Array[] = [...smallOrderEncodings()];
      for (let bit = 0; bit < 256; bit++) {
        const r = signature.slice(0, 32);
        r[bit >> 3] = (r[bit >> 3] as number) ^ (1 << (bit & 7));
        rs.push(r);
      }
      for (let i = 0; i < 200; i++) rs.push(Uint8Array.from({ length: 32 }, () => Math.floor(next() * 256)));
      for (let y = P - 2n; y < 2n ** 255n; y++) for (const sign of [0n, 1n]) rs.push(toBytesLE(y | (sign << 255n)));
      for (const r of rs) {
        const forged = concat(r, signature.subarray(32));
        expect(backend.verify(publicKey, message, forged)).toBe(old(publicKey, message, forged));
        expect(backend.verify(publicKey, message, forged)).toBe(false);
      }
    });
  });

  describe('when R is a small-order point and the group equation holds for its point', () => {
    it('accepts the canonical encodings and refuses every other, as the full checks did', () => {
      const message = new TextEncoder().encode('transfer 100 to acct-7');
      let accepted = 0;
      for (const rBytes of smallOrderEncodings()) {
        // R decodes (leniently, for the non-canonical ones) to a point T of order dividing 8; S = k·a, so [S]B = [k]A and [S]B - [k]A = O.
        // Only R = O satisfies the cofactorless equation; the cofactored one (noble) holds for every T.
        const signature = signWithR(rBytes, 0n, message);
        const answer = backend.verify(A, message, signature);
        expect(answer).toBe(old(A, message, signature));
        let canonical = false;
        try {
          canonical = encodeBase64url(ed.Point.fromBytes(rBytes, false).toBytes()) === encodeBase64url(rBytes);
        } catch {
          canonical = false;
        }
        if (!canonical) expect(answer).toBe(false);
        if (answer) accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
    });
  });

  describe('when R is an ordinary point with a non-canonical encoding of it', () => {
    it('refuses the sign bit flipped (the negated point) though S is computed for it', () => {
      const message = new TextEncoder().encode('transfer 100 to acct-7');
      const r = 123456789n;
      const R = ed.Point.BASE.multiply(r).toBytes();
      expect(backend.verify(A, message, signWithR(R, r, message))).toBe(true);
      const negated = R.slice();
      negated[31] = (negated[31] as number) ^ 0x80;
      expect(backend.verify(A, message, signWithR(negated, r, message))).toBe(false);
      expect(backend.verify(A, message, signWithR(negated, L - r, message))).toBe(old(A, message, signWithR(negated, L - r, message)));
    });
  });
});

describe('the per-key caches', () => {
  describe('when the same array is reused for another public key', () => {
    it.each([nodeBackend, nobleBackend])('$name verifies under the key the bytes hold now', (backend) => {
      const message = new TextEncoder().encode('hello');
      const other = ed.utils.getExtendedPublicKey(new Uint8Array(32).fill(7));
      const signature1 = ed.sign(message, SECRET);
      const signature2 = ed.sign(message, new Uint8Array(32).fill(7));
      const key = A.slice();
      expect(backend.verify(key, message, signature1)).toBe(true);
      key.set(other.pointBytes);
      expect(backend.verify(key, message, signature1)).toBe(false);
      expect(backend.verify(key, message, signature2)).toBe(true);
    });
  });

  describe('when passesStrictByteChecks meets a small-order or off-curve public key', () => {
    it('refuses it every time, as passesStrictEncodingChecks does', () => {
      const signature = signWithR(ed.Point.BASE.multiply(5n).toBytes(), 5n, new Uint8Array());
      for (const key of [...smallOrderEncodings(), toBytesLE(2n), toBytesLE(P)]) {
        for (let i = 0; i < 2; i++) {
          expect(passesStrictByteChecks(key, signature)).toBe(false);
          expect(passesStrictEncodingChecks(key, signature)).toBe(false);
        }
      }
      expect(passesStrictByteChecks(A, signature)).toBe(true);
    });
  });
});

describe('the problems of a log', () => {
  it('are unchanged in wording for a damaged line', () => {
    const damaged = canonicalJson({ ...chain[1]!, log: { seq: 2, prevHash: null } });
    const problems: Problem[] = verifyLog([validLines[0]!, damaged], TRUST_KEY_1_RECEIPTS, nodeBackend).problems;
    expect(problems).toEqual([{ code: 'MALFORMED', seq: 2, line: 2, message: 'not a v1 receipt: log.prevHash: is null exactly for seq 1' }]);
    void signReceipt;
  });
});
