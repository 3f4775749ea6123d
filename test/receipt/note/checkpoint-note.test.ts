import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../src/receipt/note/base64.js';
import { formatCheckpoint, parseCheckpoint } from '../../../src/receipt/note/checkpoint-note.js';
import { cosignatureVerifier } from '../../../src/receipt/note/cosignature.js';
import { noteVerifier, openNote, splitNote } from '../../../src/receipt/note/signed-note.js';
import { BACKENDS, fixture, noteErrorOf, recordHash } from './support.js';

const tlog = fixture('x-mod-tlog.json');
const c2sp = fixture('c2sp.json');
const formats = fixture('transparency-dev-formats.json');
const go = fixture('go-generated.json');
const sumdb = fixture('sum-golang-org.json');

const root = recordHash('hello world');
const rootBase64 = encodeBase64(root);

describe('x/mod sumdb/tlog tree notes (a checkpoint whose origin is "go.sum database tree")', () => {
  it('formats TestFormatTree’s golden text', () => {
    expect(rootBase64).toBe('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=');
    expect(formatCheckpoint({ origin: tlog.tree.origin, size: tlog.tree.size, rootHash: root })).toBe(tlog.tree.text);
  });

  it('parses it back (TestParseTree)', () => {
    const checkpoint = parseCheckpoint(tlog.tree.text);
    expect(checkpoint.origin).toBe('go.sum database tree');
    expect(checkpoint.size).toBe(123456789012);
    expect(checkpoint.rootHash).toEqual(root);
    expect(checkpoint.extensions).toEqual([]);
  });

  it('refuses TestParseTree’s bad trees: a hex size, a root hash not 32 bytes', () => {
    for (const { text } of tlog.badTrees) noteErrorOf(() => parseCheckpoint(text), 'MALFORMED_CHECKPOINT');
  });

  it('takes a trailing line as an extension line, and refuses one without its newline (which Go’s ParseTree ignores)', () => {
    expect(parseCheckpoint(tlog.tree.text + 'JOE\n').extensions).toEqual(['JOE']);
    expect(parseCheckpoint(tlog.tree.text + 'JOE\n'.repeat(1000)).extensions).toHaveLength(1000);
    noteErrorOf(() => parseCheckpoint(tlog.tree.text + 'JOE'), 'MALFORMED_CHECKPOINT');
  });
});

describe('published checkpoints', () => {
  it('parses the C2SP tlog-checkpoint example', () => {
    const checkpoint = parseCheckpoint(splitNote(c2sp.checkpointExample.note).text);
    expect(checkpoint.origin).toBe(c2sp.checkpointExample.origin);
    expect(checkpoint.size).toBe(c2sp.checkpointExample.size);
    expect(encodeBase64(checkpoint.rootHash)).toBe(c2sp.checkpointExample.rootHash);
  });

  it('parses and formats back the checkpoints torchwood made, extension lines included', () => {
    for (const { text } of go.cosigned) {
      const checkpoint = parseCheckpoint(text);
      expect(formatCheckpoint(checkpoint)).toBe(text);
    }
    expect(parseCheckpoint(go.cosigned[1].text).extensions).toEqual(['ext one', 'ext two']);
    expect(parseCheckpoint(go.cosigned[1].text).size).toBe(0);
  });

  it('refuses transparency-dev/formats’ invalid checkpoints', () => {
    for (const { text } of formats.checkpoints.invalid) noteErrorOf(() => parseCheckpoint(text), 'MALFORMED_CHECKPOINT');
  });

  it('refuses what transparency-dev/formats accepts but tlog-checkpoint does not: root hashes not 32 bytes, empty extension lines', () => {
    for (const { text } of formats.checkpoints.validThereRefusedHere) noteErrorOf(() => parseCheckpoint(text), 'MALFORMED_CHECKPOINT');
    for (const { origin, size, hashUtf8 } of formats.checkpoints.marshal) {
      noteErrorOf(() => formatCheckpoint({ origin, size, rootHash: new TextEncoder().encode(hashUtf8) }), 'MALFORMED_CHECKPOINT');
    }
  });
});

describe.each(BACKENDS)('signed checkpoints opened with the $name back end', (backend) => {
  it('opens sum.golang.org’s tree note with its pinned key and parses what it signed', () => {
    const checkpoint = parseCheckpoint(openNote(sumdb.note, [noteVerifier(sumdb.vkey, backend)]).text);
    expect([checkpoint.origin, checkpoint.size, encodeBase64(checkpoint.rootHash)]).toEqual([sumdb.origin, sumdb.size, sumdb.rootHash]);
  });

  it('opens the checkpoints x/mod signed and Go witnesses cosigned, and parses them', () => {
    const verifiers = [noteVerifier(go.keys.log.vkey, backend), cosignatureVerifier(go.keys.witness1.vkey, backend), cosignatureVerifier(go.keys.witness2.vkey, backend)];
    for (const { text, note } of go.cosigned) {
      const opened = openNote(note, verifiers);
      expect(opened.verifiedBy).toHaveLength(3);
      expect(formatCheckpoint(parseCheckpoint(opened.text))).toBe(text);
    }
  });

  it('refuses a checkpoint whose size was changed after signing', () => {
    const { note } = go.cosigned[0];
    const size = parseCheckpoint(splitNote(note).text).size;
    const grown = note.replace(`\n${size}\n`, `\n${size + 1}\n`);
    expect(grown).not.toBe(note);
    noteErrorOf(() => openNote(grown, [noteVerifier(go.keys.log.vkey, backend)]), 'BAD_SIGNATURE');
  });
});

describe('strict parsing', () => {
  const good = `example.com/log\n42\n${rootBase64}\n`;
  const line = (size: string, rest = `${rootBase64}\n`) => `example.com/log\n${size}\n${rest}`;

  it('accepts the plain form, size 0 and 2^53 - 1, an origin with inner spaces', () => {
    expect(parseCheckpoint(good).size).toBe(42);
    expect(parseCheckpoint(line('0')).size).toBe(0);
    expect(parseCheckpoint(line(String(Number.MAX_SAFE_INTEGER))).size).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseCheckpoint(`go.sum database tree\n1\n${rootBase64}\n`).origin).toBe('go.sum database tree');
  });

  const bad: Record<string, string> = {
    'leading zeros in the size': line('042'),
    'a zero size written 00': line('00'),
    'a plus sign': line('+42'),
    'a minus zero': line('-0'),
    'a space before the size': line(' 42'),
    'a space after the size': line('42 '),
    'an exponent': line('4e1'),
    'a hex size': line('0x2a'),
    'a fraction': line('42.0'),
    'an empty size': line(''),
    'a size of 2^53 (beyond safe integers)': line('9007199254740992'),
    'full-width digits': line('４２'),
    'a root hash of 31 bytes': line('42', `${encodeBase64(root.subarray(1))}\n`),
    'a root hash of 33 bytes': line('42', `${encodeBase64(Uint8Array.of(...root, 0))}\n`),
    'a root hash without padding': line('42', `${rootBase64.replace(/=$/, '')}\n`),
    'a root hash with non-zero trailing bits': line('42', `${rootBase64.replace(/0=$/, '1=')}\n`),
    'a root hash in base64url': line('42', `${rootBase64.replace('+', '-')}\n`),
    'a root hash with a trailing space': line('42', `${rootBase64} \n`),
    'an empty root hash': line('42', '\n'),
    'a missing root hash': 'example.com/log\n42\n',
    'no final newline': good.slice(0, -1),
    'an empty extension line': good + '\n',
    'an empty extension line between two': good + 'a\n\nb\n',
    'an extension line without its newline': good + 'a',
    'an empty origin': `\n42\n${rootBase64}\n`,
    'a leading space in the origin': ` ${good}`,
    'a trailing space in the origin': good.replace('log\n', 'log \n'),
    'a trailing ideographic space in the origin': good.replace('log\n', 'log\u3000\n'),
    'a leading tab-free NBSP in the origin': `\u00a0${good}`,
    'CRLF line ends': good.replaceAll('\n', '\r\n'),
    'a control character in an extension line': good + 'a\u0007b\n',
    'an unpaired surrogate in the origin': good.replace('log', 'log\ud800'),
    'a signed note rather than its text': splitNote(c2sp.checkpointExample.note).text + '\n— x AAAAAAA=\n',
  };
  for (const [what, text] of Object.entries(bad)) {
    it(`refuses ${what}`, () => {
      noteErrorOf(() => parseCheckpoint(text), 'MALFORMED_CHECKPOINT');
    });
  }
});

describe('formatting', () => {
  it('round-trips origin, size, root hash and extension lines', () => {
    const fields = { origin: 'example.com/log 42', size: 9_007_199_254_740_991, rootHash: root, extensions: ['one', 'two — é 😀'] };
    const text = formatCheckpoint(fields);
    expect(text).toBe(`example.com/log 42\n9007199254740991\n${rootBase64}\none\ntwo — é 😀\n`);
    const parsed = parseCheckpoint(text);
    expect({ ...parsed, extensions: [...parsed.extensions] }).toEqual(fields);
    expect(decodeBase64(text.split('\n')[2] as string)).toEqual(root);
  });

  it('refuses fields that would not parse back', () => {
    const ok = { origin: 'example.com/log', size: 1, rootHash: root };
    const bad = [
      { ...ok, origin: '' },
      { ...ok, origin: 'two\nlines' },
      { ...ok, origin: ' padded' },
      { ...ok, origin: 'padded ' },
      { ...ok, origin: 'bell\u0007' },
      { ...ok, size: -1 },
      { ...ok, size: 1.5 },
      { ...ok, size: Number.NaN },
      { ...ok, size: 2 ** 53 },
      { ...ok, size: '1' as unknown as number },
      { ...ok, rootHash: root.subarray(1) },
      { ...ok, extensions: [''] },
      { ...ok, extensions: ['a\nb'] },
      { ...ok, extensions: ['tab\there'] },
    ];
    for (const fields of bad) noteErrorOf(() => formatCheckpoint(fields), 'MALFORMED_CHECKPOINT');
  });
});
