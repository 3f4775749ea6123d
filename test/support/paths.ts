import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Public test vectors given by the team, beside the checkout (read-only). */
export const VECTORS_DIR = process.env.ACTIONGATE_VECTORS_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'vectors');
export const POLICIES_DIR = resolve(REPO_ROOT, 'policies');
