/**
 * Why the embedded PostgreSQL could not be started, in one sentence that says what to do: the demo
 * and the test set-up print its message alone, without a stack trace. It is the demo's own error,
 * not a `KitError`: it concerns the demo's database helper, not the kit's API.
 *
 * @example
 * ```ts
 * try {
 *   await startEmbeddedPostgres({ dataDir, persistent: true });
 * } catch (error) {
 *   if (error instanceof EmbeddedPostgresError) console.error(error.message);
 * }
 * ```
 */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}
