/**
 * `@kit/core/testing`: the conformance suite every `SessionStore` implementation must pass, for
 * vitest (an optional peer dependency, needed only here).
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

export { describeSessionStoreConformance, type StoreFixture } from './session-store-conformance.ts';
