/**
 * Largest request body the kit's routes accept, in bytes (16 KiB); larger bodies get 413.
 *
 * @example
 * ```ts
 * import { MAX_BODY_BYTES, readParams } from '@kit/hono';
 *
 * const read = await readParams(c.req.raw, { maxBytes: MAX_BODY_BYTES });
 * ```
 */
export const MAX_BODY_BYTES = 16 * 1024;
