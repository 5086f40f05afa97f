export { describeEmbeddedPostgres, exitOnEmbeddedPostgresError } from './cli-output.ts';
export { EmbeddedPostgresError } from './error.ts';
export { type ScratchDatabase, type ScratchPostgresOptions, startScratchPostgres } from './scratch.ts';
export { startEmbeddedPostgres } from './start.ts';
export type { EmbeddedDatabase, EmbeddedPostgresOptions } from './types.ts';
