import { rename, writeFile } from 'node:fs/promises';

/** Where checkpoint notes are published (ACTIONGATE_CHECKPOINT_PUBLISH): a file, or an HTTP(S) URL they are PUT to. */
export type CheckpointDestination = { kind: 'file'; path: string } | { kind: 'url'; url: URL };

/** How long one PUT of a note may take. */
const PUT_TIMEOUT_MS = 10_000;

/**
 * Reads a destination: `http://…` or `https://…` is a URL, any other `scheme://` is refused, the rest is a file path.
 *
 * @throws Error naming the value when it is empty, a URL that does not parse, or another scheme.
 * @example parseCheckpointDestination('https://audit.example/actiongate/checkpoint') // { kind: 'url', ... }
 */
export function parseCheckpointDestination(text: string): CheckpointDestination {
  if (text.trim() === '') throw new Error('ACTIONGATE_CHECKPOINT_PUBLISH is empty: give a file path or an http(s) URL');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: text };
  if (scheme !== 'http' && scheme !== 'https') throw new Error(`ACTIONGATE_CHECKPOINT_PUBLISH: ${JSON.stringify(text)} is a ${scheme}:// URL; give a file path or an http(s) URL`);
  try {
    return { kind: 'url', url: new URL(text) };
  } catch {
    throw new Error(`ACTIONGATE_CHECKPOINT_PUBLISH: ${JSON.stringify(text)} is not a valid URL`);
  }
}

/** The destination as logs and the publications table name it (a URL without its credentials). */
export function destinationName(destination: CheckpointDestination): string {
  if (destination.kind === 'file') return destination.path;
  const shown = new URL(destination.url);
  shown.username = '';
  shown.password = '';
  return shown.toString();
}

/**
 * Writes a note to its destination whole or not at all: a file is written beside it and renamed
 * into place (a reader sees the old note or the new one); a URL gets `PUT` with the note as
 * `text/plain`, redirects not followed, within 10 s, and only a 2xx answer counts.
 *
 * @throws Error naming the destination and what went wrong.
 */
export async function writeCheckpointNote(destination: CheckpointDestination, note: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  if (destination.kind === 'file') {
    const partial = `${destination.path}.partial-${process.pid}`;
    await writeFile(partial, note);
    await rename(partial, destination.path);
    return;
  }
  const name = destinationName(destination);
  let response: Response;
  try {
    response = await fetchImpl(destination.url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: note,
      redirect: 'manual',
      signal: AbortSignal.timeout(PUT_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`PUT ${name} failed: ${(err as Error).message}`, { cause: err });
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new Error(`PUT ${name} answered ${response.status}${response.status >= 300 && response.status < 400 ? ' (a redirect, not followed)' : ''}`);
}
