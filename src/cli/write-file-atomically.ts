import { rename, rm, writeFile } from 'node:fs/promises';
import { CliError } from './cli-error.js';

/**
 * Writes a file through a temporary one and a rename, so a reader (a deploy step, a verifier)
 * never sees half of it.
 *
 * @throws CliError `FAILED` naming the file.
 * @example await writeFileAtomically('bundle.json', encodeBundle(bundle));
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError('FAILED', `cannot write ${path}: ${(error as Error).message}`);
  }
}
