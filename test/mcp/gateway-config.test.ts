import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PRINCIPALS } from '../../src/demo/demo-keys.js';
import { gatewayTools, parseGatewayConfig, type GatewayConfigIssue } from '../../src/mcp/gateway-config.js';
import { McpGatewayError } from '../../src/mcp/gateway-error.js';
import { readPolicyDir } from '../../src/policy/policy-files.js';
import { compilePolicySet } from '../../src/policy/policy-set.js';
import { POLICIES_DIR, REPO_ROOT } from '../support/paths.js';

const ledger = (overrides: Record<string, unknown> = {}) => ({
  name: 'ledger',
  url: 'http://127.0.0.1:9000/mcp',
  surface: 'payments',
  tools: { transfer_funds: { action: 'transfer', target: { type: 'account', id: '/to' }, context: { amount: '/amount' } } },
  ...overrides,
});

const config = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ actor: { id: 'agent-42', type: 'agent' }, key: 'agent-42.key.json', upstreams: [ledger()], ...overrides });

function issuesOf(text: string): GatewayConfigIssue[] {
  try {
    parseGatewayConfig(text, 'mcp.json');
  } catch (err) {
    expect(err).toBeInstanceOf(McpGatewayError);
    expect((err as McpGatewayError).code).toBe('CONFIG_INVALID');
    return (err as McpGatewayError).details?.['issues'] as GatewayConfigIssue[];
  }
  throw new Error('parsed, but should not have');
}

describe('parseGatewayConfig', () => {
  it('reads a valid configuration with its defaults', () => {
    const parsed = parseGatewayConfig(config(), 'mcp.json');
    expect(parsed).toEqual({
      actor: { id: 'agent-42', type: 'agent' },
      key: 'agent-42.key.json',
      resultWaitMs: 30_000,
      operatorWaitMs: 2_000,
      upstreams: [
        {
          name: 'ledger',
          url: 'http://127.0.0.1:9000/mcp',
          surface: 'payments',
          timeoutMs: 10_000,
          tools: { transfer_funds: { action: 'transfer', target: { type: 'account', id: '/to' }, context: { amount: '/amount' } } },
        },
      ],
    });
  });

  it('names every bad field by its path', () => {
    const issues = issuesOf(
      JSON.stringify({
        actor: { id: 'agent-42', type: 'Agent' },
        upstreams: [
          {
            name: 'Ledger',
            url: 'stdio:./ledger.js',
            surface: 'payments',
            command: 'node',
            tools: {
              'transfer funds': { action: 'transfer', target: { type: 'account', id: '/to' } },
              transfer_funds: { action: 'Transfer', target: { type: 'account', id: 'to' }, context: { gate: '/x', 'a-b': '/y' }, idempotencyKey: '' },
            },
          },
        ],
        wait: 5,
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'actor.type',
      'key',
      'upstreams.0.command',
      'upstreams.0.name',
      'upstreams.0.tools.transfer funds',
      'upstreams.0.tools.transfer_funds.action',
      'upstreams.0.tools.transfer_funds.context.a-b',
      'upstreams.0.tools.transfer_funds.context.gate',
      'upstreams.0.tools.transfer_funds.idempotencyKey',
      'upstreams.0.tools.transfer_funds.target.id',
      'upstreams.0.url',
      'wait',
    ]);
    expect(issues.find((i) => i.path === 'upstreams.0.url')?.message).toMatch(/Streamable HTTP MCP endpoint \(stdio upstreams are not supported\)/);
    expect(issues.find((i) => i.path === 'upstreams.0.tools.transfer_funds.target.id')?.message).toMatch(/JSON pointer/);
    expect(issues.find((i) => i.path === 'upstreams.0.command')?.message).toBe('unknown field');
  });

  it('refuses two tools mapped to one action: the worker dispatches an action to one tool', () => {
    const issues = issuesOf(
      config({
        upstreams: [
          ledger(),
          ledger({ name: 'bank', tools: { pay: { action: 'transfer', target: { type: 'account', id: '/to' } } } }),
        ],
      }),
    );
    expect(issues).toEqual([{ path: 'upstreams.1.tools.pay.action', message: 'payments.transfer is the action of ledger/transfer_funds already; each action fronts one tool' }]);
  });

  it('refuses two upstreams of one name, and inline credentials in headers', () => {
    const issues = issuesOf(
      config({ upstreams: [ledger({ headers: { Authorization: 'Bearer inline' } }), ledger({ surface: 'data-exports', tools: { export: { action: 'export', target: { type: 'dataset', id: '/d' } } } })] }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['upstreams.0.headers.Authorization', 'upstreams.1.name']);
  });

  it('says when the file is not JSON', () => {
    expect(issuesOf('{"actor":')).toHaveLength(1);
  });
});

describe('gatewayTools', () => {
  it('offers each tool under its upstream name, and as <upstream>__<tool> when two upstreams configure one name', () => {
    const parsed = parseGatewayConfig(
      config({
        upstreams: [
          ledger({ tools: { lookup: { action: 'transfer', target: { type: 'account', id: '/to' } }, transfer_funds: { action: 'pay', target: { type: 'account', id: '/to' } } } }),
          ledger({ name: 'crm', surface: 'customer-messages', tools: { lookup: { action: 'send', target: { type: 'segment', id: '/s' } } } }),
        ],
      }),
      'mcp.json',
    );
    expect(gatewayTools(parsed).map((t) => [t.name, t.upstream.name, t.toolName])).toEqual([
      ['ledger__lookup', 'ledger', 'lookup'],
      ['transfer_funds', 'ledger', 'transfer_funds'],
      ['crm__lookup', 'crm', 'lookup'],
    ]);
  });

  it('refuses a configuration whose offered names would collide', () => {
    const issues = issuesOf(
      config({
        upstreams: [
          ledger({ tools: { lookup: { action: 'transfer', target: { type: 'account', id: '/to' } }, ledger__lookup: { action: 'pay', target: { type: 'account', id: '/to' } } } }),
          ledger({ name: 'crm', surface: 'customer-messages', tools: { lookup: { action: 'send', target: { type: 'segment', id: '/s' } } } }),
        ],
      }),
    );
    expect(issues).toEqual([{ path: 'upstreams.0.tools.ledger__lookup', message: 'would be offered as ledger__lookup, the name of ledger/lookup too' }]);
  });
});

describe('examples/mcp-gateway.json', () => {
  it('is a valid configuration for a sample principal, whose tools map to surfaces the shipped policies have', async () => {
    const file = join(REPO_ROOT, 'examples', 'mcp-gateway.json');
    const parsed = parseGatewayConfig(await readFile(file, 'utf8'), file);
    expect(DEMO_PRINCIPALS as readonly string[]).toContain(parsed.actor.id);
    const set = compilePolicySet(await readPolicyDir(POLICIES_DIR));
    for (const upstream of parsed.upstreams) expect(Object.keys(set.registry.surfaces)).toContain(upstream.surface);
    expect(gatewayTools(parsed).map((t) => `${t.name} -> ${t.upstream.surface}.${t.mapping.action}`)).toEqual([
      'transfer_funds -> payments.transfer',
      'send_campaign -> customer-messages.send',
    ]);
  });
});
