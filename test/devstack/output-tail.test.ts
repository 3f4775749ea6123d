import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../src/devstack/output-tail.js';

describe('when a process writes more lines than are kept', () => {
  it('keeps the last ones, oldest first, without blank lines', () => {
    const tail = new OutputTail(3);
    tail.write('one\ntwo\n\nthree\r\nfour\nfi');
    tail.write('ve\n');
    expect(tail.text()).toBe('three\nfour\nfive');
  });
});

describe('when two streams interleave', () => {
  it('does not splice a half line of one into the other', async () => {
    const tail = new OutputTail(10);
    const out = new PassThrough();
    const err = new PassThrough();
    tail.follow(out);
    tail.follow(err);
    out.write('stdout sta');
    err.write('stderr line\n');
    out.end('rt\n');
    err.end('no newline at end');
    await new Promise((resolve) => setImmediate(resolve));
    expect(tail.text()).toBe('stderr line\nstdout start\nno newline at end');
  });
});
