import { KitMigration } from './migration.ts';

/**
 * Creates `kit_dpop_replays`: one row per DPoP proof accepted recently, so that no instance
 * accepts it again (RFC 9449 §11.1). `key` is the base64url SHA-256 of the proof key's thumbprint
 * and the proof's `jti` (no client-chosen text, no key material); `expires_at` (milliseconds since
 * the epoch, from the application's clock) is when the proof stops being acceptable anyway, which
 * lets a purge find stale rows through its index.
 */
export class Migration0005CreateDpopReplays extends KitMigration {
  readonly name = '0005-create-dpop-replays';

  up(): readonly string[] {
    return [
      `create table kit_dpop_replays (
        key varchar(255) primary key,
        expires_at bigint not null
      )`,
      'create index kit_dpop_replays_expires_at_index on kit_dpop_replays (expires_at)',
    ];
  }
}
