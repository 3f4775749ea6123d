// Which Postgres errors mean "the connection is gone, try again later" (the worker waits those out).
import { describe, expect, it } from 'vitest';
import { connectionErrorReason, isConnectionError } from '../../src/store/connection-error.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('when the connection failed or was lost', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a name with several addresses, all refused', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '')],
    ['a terminated backend (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['a server still starting (57P03)', withCode('the database system is starting up', '57P03')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['a socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') })],
    ['a client that already lost its connection', new Error('Client has encountered a connection error and is not queryable')],
    ['a migration whose connection was cut', new Error('migration 003.sql failed: terminating connection', { cause: withCode('terminating connection', '57P01') })],
    ['a broken pipe', withCode('write EPIPE', 'EPIPE')],
  ])('%s is a connection error', (_, err) => {
    expect(isConnectionError(err)).toBe(true);
  });
});

describe('when Postgres answered with a refusal', () => {
  it.each([
    ['a wrong password (28P01)', withCode('password authentication failed for user "x"', '28P01')],
    ['a missing database (3D000)', withCode('database "x" does not exist', '3D000')],
    ['a missing table (42P01)', withCode('relation "receipts" does not exist', '42P01')],
    ['a failing migration', new Error('migration 003.sql failed: syntax error', { cause: withCode('syntax error at or near "x"', '42601') })],
    ['a missing file', withCode("ENOENT: no such file or directory, open 'x.sql'", 'ENOENT')],
    ['anything else', new Error('receipt_log_head is missing: run actiongate db migrate')],
  ])('%s is not a connection error', (_, err) => {
    expect(isConnectionError(err)).toBe(false);
  });
});

describe('when an error has no message', () => {
  it('the reason is what it wraps', () => {
    const err = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')], '');
    expect(connectionErrorReason(err)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });
});
