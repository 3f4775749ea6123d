/**
 * The promise's value if it settles within `ms`, else undefined; the promise goes on either way.
 *
 * @example const result = await within(submitted.result(), 5_000); // undefined after 5 s
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
