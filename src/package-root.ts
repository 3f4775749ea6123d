import { fileURLToPath } from 'node:url';

/**
 * The package's root folder (where package.json and .tools/ are), from the sources
 * (src/package-root.ts) or from the build (dist/src/package-root.js) alike.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '..' : '../..', import.meta.url));
