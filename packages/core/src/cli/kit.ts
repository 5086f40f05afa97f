#!/usr/bin/env node
/**
 * The `kit` command line: key and secret generation, migrations, pruning, revoking sessions.
 *
 *   kit keys generate [--alg ES256|EdDSA|ES384|RS256|PS256]
 *   kit secret generate
 *   kit migrate [--database-url URL]
 *   kit citus distribute [--concurrently] [--database-url URL]
 *   kit prune [--database-url URL] [--retain 7d] [--batch-size 1000]
 *   kit keys rotate [--database-url URL] [--alg ALG] [--lead 330s]
 *   kit keys list [--access-ttl 300s] [--database-url URL]
 *   kit keys delete --kid=KID [--access-ttl 300s] [--force --yes] [--database-url URL]
 *   kit sessions revoke --user ID [--reason R] [--database-url URL]
 *   kit sessions revoke --all --yes [--reason R] [--database-url URL]
 *
 * Output meant for machines (keys, secrets, counts) goes to stdout; messages go to stderr and never
 * contain secrets.
 */
import { parseArgs } from 'node:util';
import { KitError } from '../errors.ts';
import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../keys/algorithms.ts';
import { deleteStoredKey, describeStoredKeys } from '../keys/delete-stored-key.ts';
import { generateSecret } from '../keys/generate-secret.ts';
import { rotateStoredKeys } from '../keys/key-ring.ts';
import { generateSigningKeys } from '../keys/signing-keys.ts';
import { DEFAULTS } from '../options.ts';
import { purgeSessions } from '../purge-sessions.ts';
import { toSeconds } from '../util/duration.ts';

const USAGE = `Usage: kit <command>

Commands:
  keys generate [--alg ALG]   Print a new signing key set (JWKS with private keys) for KIT_SIGNING_KEYS.
                              ALG: ${SIGNING_ALGORITHMS.join(', ')} (default ES256).
  keys rotate                 Store a new key in the database key store; it is published at once and
                              signs after --lead (default ${DEFAULTS.jwksMaxAge + DEFAULTS.keyRefreshInterval}s: jwksMaxAge + refreshInterval).
      --alg ALG               Algorithm of the new key (default ES256).
      --lead DURATION         Pre-publication time; at least your jwksMaxAge + keyRotation.refreshInterval.
                              Reads KIT_SECRET (and KIT_PREVIOUS_SECRETS, comma-separated, while rotating it).
  keys list                   Print the stored keys, one a line: kid, alg, state (signing, ahead, retired,
                              deletable), activates_at, retired_at, deletable_from (tab-separated).
  keys delete --kid=KID       Delete a retired key from the database key store once no live token can need it:
                              refused (ERR_KEY_IN_USE) for the signing key, a key published ahead, or a key
                              retired less than the access-token lifetime + 60 s ago. Prints the kid.
      --access-ttl DURATION   The longest accessTokenTtl of your instances (default KIT_ACCESS_TTL, else ${DEFAULTS.accessTokenTtl}s).
      --force --yes           A leaked key: delete it although tokens it signed may be live (they stop verifying).
  secret generate             Print a new random value for KIT_SECRET.
  migrate                     Apply the kit's pending migrations (its own kit_* tables only).
  citus distribute            On a Citus coordinator, after migrate: distribute kit_sessions by id,
                              kit_rate_limits and kit_dpop_replays by key, make kit_signing_keys a
                              reference table.
                              Tables already laid out so are left alone. Prints the tables distributed.
      --concurrently          Tables with live traffic: copy their rows without blocking writes.
  prune                       Delete expired and revoked sessions.
      --retain DURATION       Keep them this long after they ended (default 0), e.g. 7d.
      --batch-size N          Rows examined per statement (default 1000).
  sessions revoke             Revoke sessions at once (their refresh tokens stop working; access tokens
                              end at exp, or sooner at verifiers following the revocation list).
      --user ID               Every session of this user.
      --all --yes             Every session opened before now, of every user (an emergency).
      --reason R              Recorded reason, a-z 0-9 _ (default admin_revoked).
                              No events fire: this runs outside the application.

Database commands read --database-url or DATABASE_URL, and --timeout DURATION: the limit on each
statement and on getting a connection (default 2s; raise it for a migration of a large table).
`;

class UsageError extends Error {}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The database commands' connection: --database-url or DATABASE_URL, and --timeout, the limit on
 * each statement and on waiting for a connection (a migration on a large table may need more than
 * an application's 2 s; a `SET statement_timeout` in SQL does not lift it).
 */
function ormOptions(values: { 'database-url'?: string; timeout?: string }) {
  const timeout = values.timeout;
  if (timeout === undefined) return { databaseUrl: databaseUrl(values['database-url']) };
  const seconds = toSeconds(/^\d+$/.test(timeout) ? Number(timeout) : timeout, '--timeout');
  if (seconds > 86_400) throw new UsageError('--timeout must be at most 1d.');
  return { databaseUrl: databaseUrl(values['database-url']), timeoutMs: seconds * 1000 };
}

function databaseUrl(value: string | undefined): string {
  const url = value ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError('Set DATABASE_URL or pass --database-url postgres://...');
  return url;
}

/**
 * The PostgreSQL side, imported only by the commands that use it: `keys generate` and `secret
 * generate` must run where the optional MikroORM peers are not installed (a deployment that only
 * verifies tokens, or a machine that only makes secrets).
 */
async function loadDatabase() {
  try {
    const [orm, migrations, keyStore, store, revocation, citus] = await Promise.all([
      import('../mikro-orm/create-kit-orm.ts'),
      import('../mikro-orm/migrate.ts'),
      import('../mikro-orm/mikro-orm-key-store.ts'),
      import('../mikro-orm/mikro-orm-store.ts'),
      import('../mikro-orm/session-store/revocation.ts'),
      import('../mikro-orm/citus.ts'),
    ]);
    return { ...orm, ...migrations, ...keyStore, ...store, ...revocation, ...citus };
  } catch (error) {
    if ((error as { code?: string })?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new UsageError(
        'The database commands need the MikroORM peers: install @mikro-orm/core@^6.6.16 and @mikro-orm/postgresql@^6.6.16.',
      );
    }
    throw error;
  }
}

/** The longest access-token lifetime of the instances: --access-ttl, else KIT_ACCESS_TTL, else the default. */
function accessTtl(value: string | undefined): number {
  const ttl = value ?? process.env.KIT_ACCESS_TTL;
  if (ttl === undefined || ttl === '') return DEFAULTS.accessTokenTtl;
  return toSeconds(/^\d+$/.test(ttl) ? Number(ttl) : ttl, '--access-ttl');
}

type Values = ReturnType<typeof parseCommandLine>['values'];

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      alg: { type: 'string' },
      'database-url': { type: 'string' },
      retain: { type: 'string' },
      'batch-size': { type: 'string' },
      lead: { type: 'string' },
      kid: { type: 'string' },
      'access-ttl': { type: 'string' },
      force: { type: 'boolean' },
      user: { type: 'string' },
      all: { type: 'boolean' },
      yes: { type: 'boolean' },
      reason: { type: 'string' },
      concurrently: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Database = Awaited<ReturnType<typeof loadDatabase>>;
type KitOrm = Awaited<ReturnType<Database['createKitOrm']>>;

/** Opens the database the options name, runs `use` with it, and closes it whatever happens. */
async function withDatabase(
  values: Values,
  use: (db: Database, orm: KitOrm) => Promise<void>,
): Promise<number> {
  const db = await loadDatabase();
  const orm = await db.createKitOrm(ormOptions(values));
  try {
    await use(db, orm);
  } finally {
    await orm.close();
  }
  return 0;
}

function signingAlgorithm(values: Values) {
  const alg = values.alg ?? 'ES256';
  if (!isSigningAlgorithm(alg))
    throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}.`);
  return alg;
}

async function keysGenerate(values: Values): Promise<number> {
  const alg = signingAlgorithm(values);
  process.stdout.write(`${JSON.stringify(await generateSigningKeys({ alg }))}\n`);
  return 0;
}

function keysRotate(values: Values): Promise<number> {
  const alg = signingAlgorithm(values);
  const lead = toSeconds(values.lead ?? DEFAULTS.jwksMaxAge + DEFAULTS.keyRefreshInterval, '--lead');
  const secret = process.env.KIT_SECRET;
  if (!secret) throw new UsageError('Set KIT_SECRET: stored keys are encrypted under it.');
  const previous = (process.env.KIT_PREVIOUS_SECRETS ?? '').split(',').filter((s) => s !== '');
  const encoder = new TextEncoder();
  return withDatabase(values, async ({ createMikroOrmKeyStore }, orm) => {
    const { kid, activatesAt } = await rotateStoredKeys({
      store: createMikroOrmKeyStore({ orm }),
      secrets: [secret, ...previous].map((s) => encoder.encode(s)),
      algorithm: alg,
      leadTime: lead,
      accessTokenTtl: DEFAULTS.accessTokenTtl,
    });
    process.stdout.write(`${kid}\n`);
    process.stderr.write(`stored key ${kid}; it signs from ${activatesAt.toISOString()}\n`);
  });
}

function keysList(values: Values): Promise<number> {
  const accessTokenTtl = accessTtl(values['access-ttl']);
  return withDatabase(values, async ({ createMikroOrmKeyStore }, orm) => {
    const rows = await createMikroOrmKeyStore({ orm }).list();
    for (const key of describeStoredKeys(rows, { now: Date.now(), accessTokenTtl })) {
      const at = (d: Date | null) => d?.toISOString() ?? '-';
      process.stdout.write(
        `${[key.kid, key.alg, key.state, at(key.activatesAt), at(key.retiredAt), at(key.deletableFrom)].join('\t')}\n`,
      );
    }
  });
}

function keysDelete(values: Values): Promise<number> {
  const kid = values.kid;
  if (kid === undefined || kid.length === 0 || kid.length > 128 || CONTROL.test(kid))
    throw new UsageError('Pass --kid KID: the kid of a stored signing key.');
  if (values.force && !values.yes)
    throw new UsageError(
      '--force deletes a key whose tokens may still be live, and they stop verifying: add --yes to confirm.',
    );
  const accessTokenTtl = accessTtl(values['access-ttl']);
  return withDatabase(values, async ({ createMikroOrmKeyStore }, orm) => {
    // The rows' timeline is all it reads: no KIT_SECRET needed, no key material touched.
    const { retiredAt } = await deleteStoredKey({
      store: createMikroOrmKeyStore({ orm }),
      kid,
      accessTokenTtl,
      force: values.force === true,
    });
    process.stdout.write(`${kid}\n`);
    process.stderr.write(
      `deleted key ${kid}${retiredAt ? ` (retired at ${retiredAt.toISOString()})` : ''}; instances drop it from their JWKS at their next reload\n`,
    );
  });
}

async function secretGenerate(): Promise<number> {
  process.stdout.write(`${generateSecret()}\n`);
  return 0;
}

function migrateCommand(values: Values): Promise<number> {
  return withDatabase(values, async ({ migrate }, orm) => {
    const { applied } = await migrate(orm);
    process.stderr.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
  });
}

function citusDistribute(values: Values): Promise<number> {
  return withDatabase(values, async ({ distributeKitTables }, orm) => {
    const { distributed, unchanged } = await distributeKitTables(orm, {
      concurrently: values.concurrently === true,
    });
    if (distributed.length > 0) process.stdout.write(`${distributed.join('\n')}\n`);
    process.stderr.write(
      `${distributed.length ? `distributed: ${distributed.join(', ')}` : 'nothing to distribute'}${unchanged.length ? `; already laid out: ${unchanged.join(', ')}` : ''}\n`,
    );
  });
}

function prune(values: Values): Promise<number> {
  const retain = toSeconds(values.retain ?? 0, '--retain', { allowZero: true });
  const batchSize = values['batch-size'] === undefined ? 1000 : Number(values['batch-size']);
  return withDatabase(values, async ({ createMikroOrmStore }, orm) => {
    const deleted = await purgeSessions(createMikroOrmStore({ orm }), {
      before: new Date(Date.now() - retain * 1000),
      batchSize,
    });
    process.stdout.write(`${deleted}\n`);
    process.stderr.write(`deleted ${deleted} expired or revoked sessions\n`);
  });
}

function sessionsRevoke(values: Values): Promise<number> {
  const reason = values.reason ?? 'admin_revoked';
  if (!/^[a-z0-9_]{1,64}$/.test(reason))
    throw new UsageError('--reason must be 1 to 64 characters of a-z, 0-9 and _.');
  const user = values.user;
  if ((user === undefined) === (values.all !== true))
    throw new UsageError('Pass either --user ID or --all --yes.');
  if (user !== undefined && (user.length === 0 || user.length > 255 || CONTROL.test(user)))
    throw new UsageError('--user must be 1 to 255 characters without control characters.');
  if (values.all && !values.yes)
    throw new UsageError('--all revokes every session of every user: add --yes to confirm.');
  return withDatabase(values, async ({ createMikroOrmStore, revokeEverySession }, orm) => {
    const now = new Date();
    const revoked =
      user !== undefined
        ? (await createMikroOrmStore({ orm }).revokeByUser(user, { reason, now })).length
        : await revokeEverySession(orm, { reason, now });
    process.stdout.write(`${revoked}\n`);
    process.stderr.write(`revoked ${revoked} sessions\n`);
  });
}

const COMMANDS: Record<string, (values: Values) => Promise<number>> = {
  'keys generate': keysGenerate,
  'keys rotate': keysRotate,
  'keys list': keysList,
  'keys delete': keysDelete,
  'secret generate': secretGenerate,
  migrate: migrateCommand,
  'citus distribute': citusDistribute,
  prune,
  'sessions revoke': sessionsRevoke,
};

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
  return run(values);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kit: ${(error as Error).message}\n`);
      process.exitCode = 2;
    } else if (error instanceof KitError) {
      process.stderr.write(`kit: ${error.message} (${error.code})\n`);
      process.exitCode = 1;
    } else {
      // Unknown errors: the name only, messages from drivers can carry query values.
      process.stderr.write(`kit: failed (${error instanceof Error ? error.name : 'error'})\n`);
      process.exitCode = 1;
    }
  },
);
