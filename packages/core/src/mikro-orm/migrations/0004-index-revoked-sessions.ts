import { KitMigration } from './migration.ts';

/**
 * Indexes revoked sessions by revocation time, for the revocation list edge verifiers poll
 * (`kit.revocations()`: sessions revoked within the last access-token lifetime). Partial, so it
 * holds revoked rows only; rotations never change `revoked_at`, so they stay HOT updates.
 */
export class Migration0004IndexRevokedSessions extends KitMigration {
  readonly name = '0004-index-revoked-sessions';

  up(): readonly string[] {
    return [
      'create index kit_sessions_revoked_at_index on kit_sessions (revoked_at) where revoked_at is not null',
    ];
  }
}
