import { KitMigration } from './migration.ts';

/**
 * Adds `kit_sessions.dpop_jkt`: the RFC 7638 thumbprint (SHA-256, base64url, 43 characters) of the
 * DPoP key (RFC 9449) a session is bound to, `null` for a Bearer session. It holds no secret: it
 * names a public key, and only the holder of the matching private key can use it.
 *
 * Both statements are cheap on a large table: a nullable column without a default is a change to
 * the catalogue only (no row is rewritten), and the length check is added `not valid`, so no scan
 * runs under the table lock; it holds for every row written from now on, and every existing row
 * has `null` there, which it accepts. Rotations never change the column and it is not indexed, so
 * they stay HOT updates. On Citus the two statements propagate to every shard of the distributed
 * `kit_sessions`, each a separate command (Citus refuses a check constraint inside `add column`).
 */
export class Migration0006AddSessionDpopKey extends KitMigration {
  readonly name = '0006-add-session-dpop-key';

  up(): readonly string[] {
    return [
      'alter table kit_sessions add column dpop_jkt text null',
      'alter table kit_sessions add constraint kit_sessions_dpop_jkt_length check (char_length(dpop_jkt) = 43) not valid',
    ];
  }
}
