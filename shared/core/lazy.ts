/**
 * A value loaded on first use and kept: the same promise for every later call, so concurrent
 * first calls load it once. A load that fails is forgotten, so the next call tries again rather
 * than keep the failure for the life of the container (a module import, an SDK client, a cold start).
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = null;
      throw err;
    }));
}
