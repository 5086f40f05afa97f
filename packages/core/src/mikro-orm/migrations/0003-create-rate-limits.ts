import { KitMigration } from './migration.ts';

/**
 * Creates `kit_rate_limits`: one row per rate-limit key (for example a route and a client
 * address), holding the current fixed window and the count of the window before it, from which a
 * sliding-window rate is estimated. Window starts are milliseconds since the epoch from the
 * application's clock. `expires_at` (end of the current window) lets a purge find stale rows.
 */
export class Migration0003CreateRateLimits extends KitMigration {
  readonly name = '0003-create-rate-limits';

  up(): readonly string[] {
    return [
      `create table kit_rate_limits (
        key varchar(255) primary key,
        window_start bigint not null,
        count integer not null,
        previous_count integer not null default 0,
        expires_at bigint not null,
        constraint kit_rate_limits_count_positive check (count > 0 and previous_count >= 0)
      ) with (fillfactor = 80)`,
      'create index kit_rate_limits_expires_at_index on kit_rate_limits (expires_at)',
    ];
  }
}
