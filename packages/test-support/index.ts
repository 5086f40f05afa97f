/**
 * `@kit/test-support`: what the repository's tests share. This entry is light (no database, no
 * generators; the in-memory kit fixture loads the PostgreSQL one only when asked to); the rest
 * sits behind subpaths: `./kit-fixture`, `./database`, `./citus`, `./global-setup`, `./redis`,
 * `./tcp-proxy`, `./http`, `./child-process`, `./verifier`, `./hostile-tokens`,
 * `./hostile-requests`, `./dpop`, `./telemetry` and `./bundle-verifier` (with the workerd Workers' paths,
 * `WORKER_ENTRY` and `TELEMETRY_WORKER_ENTRY`).
 *
 * @module
 */
export {
  type ExpectKitErrorOptions,
  expectKitError,
  type KitErrorAction,
  kitErrorCode,
} from './expect-kit-error.ts';
export { createFakeClock, type FakeClock } from './fake-clock.ts';
export { type RecordedKitEvents, recordKitEvents } from './kit-events.ts';
export { createMemoryKitFixture, type MemoryKitFixture, useMemoryKitFixture } from './memory-kit-fixture.ts';
export { TEST_SECRET, testKeys } from './test-keys.ts';
export { createTestLogger, type TestLogLine } from './test-logger.ts';
