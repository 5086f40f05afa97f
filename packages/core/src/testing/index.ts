/**
 * `@kit/core/testing`: the conformance suites every `SessionStore`, `RateLimitStore` and
 * `DpopReplayCache` implementation must pass, for vitest (an optional peer dependency, needed only here).
 *
 * @example
 * ```ts
 * import { describeSessionStoreConformance } from '@kit/core/testing';
 *
 * describeSessionStoreConformance('my store', async () => ({ store: createMyStore() }));
 * ```
 *
 * @module
 */

export {
  type DpopReplayCacheFixture,
  describeDpopReplayCacheConformance,
} from './dpop-replay-cache-conformance.ts';
export {
  describeRateLimitStoreConformance,
  type RateLimitStoreFixture,
} from './rate-limit-store-conformance.ts';
export { describeSessionStoreConformance, type StoreFixture } from './session-store-conformance.ts';
