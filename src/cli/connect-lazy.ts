// connect.js (the Temporal worker's NativeConnection and pg) loaded on first use, so that a
// command's --help, and its usage errors, load neither. For commands other than worker and start.
import type * as Connect from './connect.js';

export async function connectClient(...args: Parameters<typeof Connect.connectClient>): ReturnType<typeof Connect.connectClient> {
  return (await import('./connect.js')).connectClient(...args);
}

export async function connectDatabase(...args: Parameters<typeof Connect.connectDatabase>): ReturnType<typeof Connect.connectDatabase> {
  return (await import('./connect.js')).connectDatabase(...args);
}
