import type { z } from 'zod';
import { KeyError } from './key-error.js';

/**
 * JSON.parse of a versioned key document, with its `version` checked before anything else:
 * a version other than 1 is `UNSUPPORTED_VERSION`, never read as if it were 1.
 *
 * @throws KeyError `MALFORMED` (not JSON, not an object) or `UNSUPPORTED_VERSION`.
 */
export function parseVersionedJson(text: string, source: string, what: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Neither JSON.parse's message nor the error as cause: it quotes the text near the error, which may be key material.
    throw new KeyError('MALFORMED', `${source}: not JSON`, { file: source });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KeyError('MALFORMED', `${source}: a ${what} is a JSON object`, { file: source });
  }
  const version = (json as Record<string, unknown>)['version'];
  if (version !== undefined && version !== 1) {
    throw new KeyError('UNSUPPORTED_VERSION', `${source}: ${what} version ${JSON.stringify(version)} is not supported (expected 1)`, {
      file: source,
      version,
    });
  }
  return json;
}

/** Every zod issue as `path: message`, without the input values (they may be key material). */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}
