import { KitMigration } from './migration.ts';

/**
 * Creates `kit_signing_keys`, the database key store: one row per signing key, the private JWK
 * encrypted (AES-256-GCM under a key derived from `KIT_SECRET`), with the key-check id of the
 * secret that encrypted it and the key's timeline.
 */
export class Migration0002CreateSigningKeys extends KitMigration {
  readonly name = '0002-create-signing-keys';

  up(): readonly string[] {
    return [
      `create table kit_signing_keys (
        kid varchar(128) primary key,
        alg varchar(16) not null,
        public_jwk jsonb not null,
        encrypted_key bytea not null,
        secret_id varchar(64) not null,
        created_at timestamptz not null,
        activates_at timestamptz not null,
        constraint kit_signing_keys_alg check (alg in ('ES256', 'ES384', 'EdDSA', 'RS256', 'PS256')),
        constraint kit_signing_keys_public_jwk_object check (jsonb_typeof(public_jwk) = 'object'),
        constraint kit_signing_keys_public_only check (not (public_jwk ?| array['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']))
      )`,
    ];
  }
}
