import { describe, expect, it } from 'vitest';
import { parsePrincipalRegistry } from '../../src/identity/principal-registry.js';
import { PolicyError } from '../../src/policy/policy-error.js';
import { AGENT_42_SIGNER, ALICE_SIGNER, PRINCIPALS_TEXT } from './identity-fixtures.js';

interface Issue {
  path: string;
  message: string;
}

/** The issues of the PolicyError parsePrincipalRegistry throws (fails the test if it does not throw). */
function issuesOf(json: unknown): Issue[] {
  try {
    parsePrincipalRegistry(typeof json === 'string' ? json : JSON.stringify(json));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: 'POLICY_INVALID', details: { file: 'principals.json' } });
    return (error as PolicyError).details?.['issues'] as Issue[];
  }
  throw new Error('expected parsePrincipalRegistry to throw');
}

const agentKey = { keyId: AGENT_42_SIGNER.keyId, publicKey: AGENT_42_SIGNER.publicKey };
const aliceKey = { keyId: ALICE_SIGNER.keyId, publicKey: ALICE_SIGNER.publicKey };

describe('parsePrincipalRegistry', () => {
  describe('when the file is valid', () => {
    it('gives each principal its type, attributes and keys, with defaults', () => {
      const registry = parsePrincipalRegistry(PRINCIPALS_TEXT);
      expect(registry.principals['agent-42']).toMatchObject({ type: 'agent', attributes: { team: 'ap' }, keys: [{ keyId: AGENT_42_SIGNER.keyId }] });
      expect(registry.principals['alice']).toEqual({ type: 'human', attributes: {}, groups: [], attestedBy: [], keys: [{ ...aliceKey, purpose: 'request' }] });
    });
  });

  describe('when a keyId is not the id of its publicKey', () => {
    it('refuses it, naming the keyId', () => {
      const issues = issuesOf({ version: 1, principals: { 'agent-42': { type: 'agent', keys: [{ ...agentKey, keyId: ALICE_SIGNER.keyId }] } } });
      expect(issues.map((issue) => issue.path)).toEqual(['principals.agent-42.keys.0.keyId']);
    });
  });

  describe('when a publicKey is not a raw 32-byte Ed25519 key', () => {
    it.each([
      ['too short', agentKey.publicKey.slice(0, 20)],
      ['not base64url', `${agentKey.publicKey.slice(0, -1)}=`],
    ])('refuses it when %s', (_, publicKey) => {
      const issues = issuesOf({ version: 1, principals: { 'agent-42': { type: 'agent', keys: [{ ...agentKey, publicKey }] } } });
      expect(issues.map((issue) => issue.path)).toEqual(['principals.agent-42.keys.0.publicKey']);
    });
  });

  describe('when one key is listed for two principals', () => {
    it('refuses it: a signature must name exactly one actor', () => {
      const issues = issuesOf({
        version: 1,
        principals: { 'agent-42': { type: 'agent', keys: [agentKey] }, alice: { type: 'human', keys: [aliceKey, agentKey] } },
      });
      expect(issues).toEqual([{ path: 'principals.alice.keys.1.keyId', message: expect.stringContaining('agent-42') }]);
    });
  });

  describe('when a principal sets the attribute "type"', () => {
    it('refuses it: the type is the principal\'s own field, never an attribute', () => {
      const issues = issuesOf({ version: 1, principals: { 'agent-42': { type: 'agent', attributes: { type: 'human' } } } });
      expect(issues.map((issue) => issue.path)).toEqual(['principals.agent-42.attributes.type']);
    });
  });

  describe('when a key\'s validity ends before it starts', () => {
    it('refuses validUntil', () => {
      const key = { ...agentKey, validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' };
      const issues = issuesOf({ version: 1, principals: { 'agent-42': { type: 'agent', keys: [key] } } });
      expect(issues.map((issue) => issue.path)).toEqual(['principals.agent-42.keys.0.validUntil']);
    });
  });

  describe('when several fields are wrong', () => {
    it('reports every one of them by path', () => {
      const issues = issuesOf({
        version: 1,
        owner: 'x',
        principals: {
          'cron-7': { type: 'robot' },
          'agent-42': { type: 'agent', colour: 'red', attributes: { Team: 'ap', limit: 1.5 }, keys: [{ ...agentKey, validFrom: 'yesterday' }] },
        },
      });
      expect(issues.map((issue) => issue.path).sort()).toEqual([
        'owner',
        'principals.agent-42.attributes.Team',
        'principals.agent-42.attributes.limit',
        'principals.agent-42.colour',
        'principals.agent-42.keys.0.validFrom',
        'principals.cron-7.type',
      ]);
    });
  });

  describe('when the version is not 1', () => {
    it('refuses the file rather than guessing', () => {
      expect(issuesOf({ version: 2, principals: {} }).map((issue) => issue.path)).toEqual(['version']);
    });
  });

  describe('when the file is not JSON', () => {
    it('is POLICY_INVALID', () => {
      expect(issuesOf('{"version": 1,')).toHaveLength(1);
    });
  });
});
