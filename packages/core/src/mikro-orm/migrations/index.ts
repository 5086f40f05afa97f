import { Migration0001CreateSessions } from './0001-create-sessions.ts';
import { Migration0002CreateSigningKeys } from './0002-create-signing-keys.ts';
import { Migration0003CreateRateLimits } from './0003-create-rate-limits.ts';
import { Migration0004IndexRevokedSessions } from './0004-index-revoked-sessions.ts';
import { Migration0005CreateDpopReplays } from './0005-create-dpop-replays.ts';
import { Migration0006AddSessionDpopKey } from './0006-add-session-dpop-key.ts';
import type { KitMigration } from './migration.ts';

/**
 * Every migration the kit ships, in application order.
 */
export const kitMigrations: readonly KitMigration[] = Object.freeze([
  new Migration0001CreateSessions(),
  new Migration0002CreateSigningKeys(),
  new Migration0003CreateRateLimits(),
  new Migration0004IndexRevokedSessions(),
  new Migration0005CreateDpopReplays(),
  new Migration0006AddSessionDpopKey(),
]);
