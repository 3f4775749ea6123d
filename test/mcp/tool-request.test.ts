import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { gatewayTools, parseGatewayConfig, type GatewayTool } from '../../src/mcp/gateway-config.js';
import { McpGatewayError } from '../../src/mcp/gateway-error.js';
import { pointerTokens, resolvePointer } from '../../src/mcp/json-pointer.js';
import { actionRequestFor, derivedIdempotencyKey } from '../../src/mcp/tool-request.js';
import { parseActionRequest } from '../../src/request/action-request.js';

const ACTOR = { id: 'agent-42', type: 'agent' };

function toolOf(mapping: Record<string, unknown>, surface = 'payments'): GatewayTool {
  const config = parseGatewayConfig(
    JSON.stringify({ actor: ACTOR, key: 'k.json', upstreams: [{ name: 'ledger', url: 'http://127.0.0.1:9000/mcp', surface, tools: { transfer_funds: mapping } }] }),
    'mcp.json',
  );
  return gatewayTools(config)[0] as GatewayTool;
}

const TRANSFER_TOOL = () =>
  toolOf({ action: 'transfer', target: { type: 'account', id: '/payee/iban' }, context: { amount: '/amount', currency: '/currency' }, idempotencyKey: '/reference' });

function badArguments(fn: () => unknown): Array<{ argument: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(McpGatewayError);
    expect((err as McpGatewayError).code).toBe('BAD_ARGUMENTS');
    return (err as McpGatewayError).details?.['arguments'] as Array<{ argument: string; message: string }>;
  }
  throw new Error('built a request, but should not have');
}

describe('derivedIdempotencyKey', () => {
  const args = { amount: 12_000, currency: 'EUR', to: 'acct-7' };

  it('is mcp-<surface>-<action>-<first 32 hex of sha256 over the canonical JSON of the call>', () => {
    const canonical = '{"action":"transfer","actor":"agent-42","arguments":{"amount":12000,"currency":"EUR","to":"acct-7"},"surface":"payments"}';
    const hex = bytesToHex(sha256(utf8ToBytes(canonical))).slice(0, 32);
    expect(derivedIdempotencyKey('payments', 'transfer', 'agent-42', args)).toBe(`mcp-payments-transfer-${hex}`);
  });

  it('does not depend on the order of the arguments, and differs for another actor or other arguments', () => {
    const key = derivedIdempotencyKey('payments', 'transfer', 'agent-42', args);
    expect(derivedIdempotencyKey('payments', 'transfer', 'agent-42', { to: 'acct-7', currency: 'EUR', amount: 12_000 })).toBe(key);
    expect(derivedIdempotencyKey('payments', 'transfer', 'agent-7', args)).not.toBe(key);
    expect(derivedIdempotencyKey('payments', 'transfer', 'agent-42', { ...args, amount: 12_001 })).not.toBe(key);
  });

  it('is a valid key for any surface and action, at most 200 characters', () => {
    expect(derivedIdempotencyKey('payments', 'send_money.v2', 'agent-42', {})).toMatch(/^mcp-payments-send_money\.v2-[0-9a-f]{32}$/);
    const long = derivedIdempotencyKey('s'.repeat(63), 'a'.repeat(100), 'agent-42', {});
    expect(long.length).toBe(200);
    expect(long).toMatch(/-[0-9a-f]{32}$/);
    expect(parseActionRequest({ idempotencyKey: long, actor: ACTOR, surface: 'payments', action: 'transfer', target: { type: 'account', id: 'a' } }).idempotencyKey).toBe(long);
  });
});

describe('actionRequestFor', () => {
  it('maps target, context and payload from the arguments, with a derived key', () => {
    const args = { amount: 12_000, currency: 'EUR', payee: { iban: 'NL02' } };
    expect(actionRequestFor(TRANSFER_TOOL(), ACTOR, args)).toEqual({
      idempotencyKey: derivedIdempotencyKey('payments', 'transfer', 'agent-42', args),
      actor: ACTOR,
      surface: 'payments',
      action: 'transfer',
      target: { type: 'account', id: 'NL02' },
      context: { amount: 12_000, currency: 'EUR' },
      payload: args,
    });
  });

  it('takes the key from the mapped argument when the call gives one', () => {
    const request = actionRequestFor(TRANSFER_TOOL(), ACTOR, { amount: 1, currency: 'EUR', payee: { iban: 'NL02' }, reference: 'inv-1' });
    expect(request.idempotencyKey).toBe('inv-1');
  });

  it('names every missing or mistyped argument', () => {
    expect(badArguments(() => actionRequestFor(TRANSFER_TOOL(), ACTOR, { currency: 'EUR', payee: { iban: 7 }, reference: 12 }))).toEqual([
      { argument: '/payee/iban', message: 'must be a non-empty string (it is the account the action is done to), not a number' },
      { argument: '"amount"', message: 'is missing (it is the context amount of the policies)' },
      { argument: '"reference"', message: 'must be a non-empty string (it is the idempotency key of this call), not a number' },
    ]);
  });

  it('names the argument behind a field the request refuses (a NUL, a bad key), and arguments that are not an object', () => {
    const problems = badArguments(() => actionRequestFor(TRANSFER_TOOL(), ACTOR, { amount: 1, currency: 'E\u0000R', payee: { iban: 'NL02' }, reference: 'a b' }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { argument: '"reference"', message: expect.stringMatching(/may hold only the characters/) },
        { argument: '"currency"', message: 'must not contain U+0000 (NUL)' },
      ]),
    );
    expect(badArguments(() => actionRequestFor(TRANSFER_TOOL(), ACTOR, [1]))).toEqual([{ argument: '(arguments)', message: 'must be an object' }]);
  });
});

describe('JSON pointers', () => {
  it('unescapes ~1 and ~0 in that order, and reaches into arrays by index', () => {
    expect(pointerTokens('/a~1b/~01')).toEqual(['a/b', '~1']);
    expect(resolvePointer({ 'a/b': { '~1': [10, 20] } }, '/a~1b/~01/1')).toBe(20);
    expect(resolvePointer({ items: [1] }, '/items/01')).toBeUndefined();
  });

  it('never reaches an object\'s prototype', () => {
    expect(resolvePointer({}, '/constructor')).toBeUndefined();
    expect(resolvePointer({}, '/__proto__')).toBeUndefined();
  });
});
