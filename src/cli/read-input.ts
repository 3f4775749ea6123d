import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.js';

/** The text of FILE, or of standard input when FILE is absent or `-`. */
export async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError('INVALID_INPUT', `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}
