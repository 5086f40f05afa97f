import { KitMigration } from './migration.ts';

/**
 * Creates `kit_sessions`: one row per session whatever the number of rotations.
 *
 * Indexes are chosen so a rotation is a HOT update (no index entry written): rotation changes
 * `generation`, `secret_hash`, `rotated_at`, `last_refreshed_at` and `idle_expires_at`, none of
 * which is indexed, and `fillfactor = 85` leaves room on each page for the new row version. The
 * purge job therefore walks the table in primary-key order instead of using an expiry index.
 */
export class Migration0001CreateSessions extends KitMigration {
  readonly name = '0001-create-sessions';

  up(): readonly string[] {
    return [
      `create table kit_sessions (
        id uuid primary key,
        user_id varchar(255) not null,
        client_id varchar(255) not null,
        created_at timestamptz not null,
        last_refreshed_at timestamptz not null,
        idle_expires_at timestamptz not null,
        absolute_expires_at timestamptz not null,
        revoked_at timestamptz null,
        revoked_reason varchar(64) null,
        user_agent varchar(512) null,
        ip varchar(64) null,
        data jsonb not null default '{}'::jsonb,
        generation integer not null default 0,
        secret_hash bytea not null,
        rotated_at timestamptz null,
        constraint kit_sessions_secret_hash_length check (octet_length(secret_hash) = 32),
        constraint kit_sessions_generation_positive check (generation >= 0),
        constraint kit_sessions_data_object check (jsonb_typeof(data) = 'object')
      ) with (fillfactor = 85)`,
      'create index kit_sessions_user_id_index on kit_sessions (user_id)',
    ];
  }
}
