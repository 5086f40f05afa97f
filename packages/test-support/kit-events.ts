import type { AuthKit, KitEvents } from '@kit/core';

/** What a kit emitted, by event name, in the order it emitted it. */
export type RecordedKitEvents = { [K in keyof KitEvents]: KitEvents[K][] };

/**
 * Listens to every event of `kit` from now on and returns the lists they are recorded in.
 *
 * @example
 * ```ts
 * const seen = recordKitEvents(f.kit);
 * await f.kit.refresh(oldToken);
 * expect(seen.reuse_detected).toHaveLength(1);
 * ```
 */
export function recordKitEvents(kit: AuthKit): RecordedKitEvents {
  const seen: RecordedKitEvents = {
    session_created: [],
    session_refreshed: [],
    session_revoked: [],
    reuse_detected: [],
    dpop_key_mismatch: [],
  };
  for (const name of Object.keys(seen) as (keyof KitEvents)[]) {
    kit.on(name, (event) => {
      (seen[name] as unknown[]).push(event);
    });
  }
  return seen;
}
