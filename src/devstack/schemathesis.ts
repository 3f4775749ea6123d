import { join } from 'node:path';
import { withDirLock } from './dir-lock.js';
import { pipInstall, runCommand } from './pip-install.js';

/**
 * Schemathesis (PyPI), the OpenAPI-driven fuzzer of the HTTP API's test. It brings `requests`, which
 * the Python example (examples/python/) uses, so the same folder runs both.
 */
export const SCHEMATHESIS_SPECS = ['schemathesis==4.32.5'];

export interface PythonTools {
  /** Runs Python with the tools on its path: `command` with `args` first (e.g. `-m schemathesis.cli`), in `env`. */
  schemathesis: { command: string; args: string[]; env: NodeJS.ProcessEnv };
  /** Python with the tools folder on PYTHONPATH: what it installed (requests among them) imports. */
  python: { command: string; env: NodeJS.ProcessEnv };
  folder: string;
}

/**
 * Finds Schemathesis in `<toolsDir>/schemathesis`, installing it from PyPI (pinned) under a lock when
 * missing or broken.
 *
 * @throws Error when pip cannot install it.
 * @example const tools = await findOrInstallSchemathesis({ toolsDir: '.tools', log: console.error });
 */
export async function findOrInstallSchemathesis(opts: { toolsDir: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }): Promise<PythonTools> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const folder = join(opts.toolsDir, 'schemathesis');
  const pythonEnv = { ...env, PYTHONPATH: folder, PYTHONDONTWRITEBYTECODE: '1' };
  const tools: PythonTools = {
    schemathesis: { command: 'python3', args: ['-m', 'schemathesis.cli'], env: pythonEnv },
    python: { command: 'python3', env: pythonEnv },
    folder,
  };
  if (await works(tools)) return tools;
  await withDirLock(join(opts.toolsDir, 'schemathesis.lock'), async () => {
    if (await works(tools)) return;
    await pipInstall({ toolsDir: opts.toolsDir, name: 'schemathesis', label: `Schemathesis (${SCHEMATHESIS_SPECS.join(', ')} from PyPI)`, specs: SCHEMATHESIS_SPECS, executables: ['bin/schemathesis'], env, log });
  });
  if (!(await works(tools))) throw new Error(`Schemathesis in ${folder} does not run after installing it`);
  return tools;
}

async function works(tools: PythonTools): Promise<boolean> {
  const version = await runCommand(tools.schemathesis.command, [...tools.schemathesis.args, '--version'], tools.schemathesis.env, 60_000);
  return version.ok && version.output.includes(SCHEMATHESIS_SPECS[0]?.split('==')[1] ?? '');
}
