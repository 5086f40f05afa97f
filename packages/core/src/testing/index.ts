export { describeSessionStoreConformance, type StoreFixture } from './session-store-conformance.ts';
