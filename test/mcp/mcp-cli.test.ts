// `actiongate mcp` as a user runs it: usage errors and invalid configuration files stop it before
// it connects to anything, with exit 2 and a message that names the option or field.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tempDir } from '../support/temp-dir.js';

async function configFile(json: unknown): Promise<string> {
  const file = join(await tempDir('actiongate-mcp-cli-'), 'mcp.json');
  await writeFile(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
}

const VALID = {
  actor: { id: 'agent-42', type: 'agent' },
  key: 'missing.key.json',
  upstreams: [{ name: 'ledger', url: 'http://127.0.0.1:9/mcp', surface: 'payments', tools: { transfer_funds: { action: 'transfer', target: { type: 'account', id: '/to' } } } }],
};

describe('when `actiongate mcp` is used wrongly', () => {
  it.each([
    [['mcp'], /mcp: --config FILE is required/],
    [['mcp', '--config', 'x.json', '--bogus'], /mcp: Unknown option '--bogus'/],
    [['mcp', '--config', 'x.json', 'extra'], /mcp takes no arguments/],
    [['mcp', '--config', 'x.json', '--http', 'eighty'], /--http takes a port number/],
    [['mcp', '--config', 'x.json', '--host', '0.0.0.0'], /--host is for --http PORT/],
  ])('%j exits 2 with a usage error', async (args, message) => {
    const { code, stderr, stdout } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });

  it('a configuration with bad fields: exit 2, every field named', async () => {
    const file = await configFile({ ...VALID, actor: { id: 'agent-42' }, upstreams: [{ ...VALID.upstreams[0], url: 'stdio:./x' }] });
    const { code, stderr } = await runCli(['mcp', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('actor.type: is required');
    expect(stderr).toContain('upstreams.0.url: must be the http(s) URL of a Streamable HTTP MCP endpoint (stdio upstreams are not supported)');
  });

  it('a key file that cannot be read: exit 2, naming the configuration and its key', async () => {
    const file = await configFile(VALID);
    const { code, stderr } = await runCli(['mcp', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${file}: key: cannot read private key file .*missing\\.key\\.json \\(ENOENT\\)`));
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await runCli(['mcp', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: actiongate mcp --config FILE \[--http PORT \[--host HOST\]\]/);
  });
});
