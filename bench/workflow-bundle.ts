// Bundles bench/workflows.ts (both variants) once, in the parent, to a file the worker child reads.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

export const BENCH_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

export async function writeBenchWorkflowBundle(
  dir: string,
  log: (line: string) => void,
  options: { workflowsPath?: string; preloadModules?: string[] } = {},
): Promise<string> {
  const quiet = (level: string) => (message: string) => log(`bundler ${level}: ${message}`);
  const none = () => undefined;
  const bundle = await bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? BENCH_WORKFLOWS_PATH,
    ...(options.preloadModules?.length ? { preloadModules: options.preloadModules } : {}),
    logger: { log: none, trace: none, debug: none, info: none, warn: quiet('warn'), error: quiet('error') },
  });
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'bench-workflow-bundle.js');
  await writeFile(path, bundle.code);
  return path;
}
