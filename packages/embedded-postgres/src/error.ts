/**
 * Why the embedded PostgreSQL could not be started, in one sentence that says what to do: the demo,
 * the example app and the test set-up print its message alone, without a stack trace. It is not a
 * `KitError`: it concerns the repository's own database helper, not the kit's API.
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

/** A short reason for a failed file operation, without a stack trace. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'a directory on the way does not exist';
  return code ?? String(error);
}
