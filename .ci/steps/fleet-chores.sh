#!/usr/bin/env bash
# Fleet chores and the /revoke work bound (issue 11, item 7):
#
# - the pruner's purge lock: two pruners on two ORMs at once (one purges, the other skips, nothing
#   deleted twice), a crashed holder and a hung one; on PostgreSQL, then through a PgBouncer in
#   transaction mode started here (the lock is transaction-scoped so that it works there);
# - `kit keys delete` and `kit keys list` (API and CLI) on PostgreSQL;
# - the chain-walk bound: N concurrent revokes of one long-rotated session cost one walk (counted),
#   and the 30,000-rotation / 300-concurrent-revoke figure from bench/ (printed).
#
# Runs from the repository's root as root, after `pnpm install --frozen-lockfile` and `pnpm build`.
# Needs PostgreSQL on 127.0.0.1:5432 (started or installed when it does not answer) and Debian's
# pgbouncer (installed when missing). Its PgBouncer listens on 127.0.0.1:6433 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CI=true
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_INTEGRITY_KEYS=0 TURBO_TELEMETRY_DISABLED=1
export NO_COLOR=1 FORCE_COLOR=0

step() { printf '\n==> %s\n' "$*"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

DIRECT=postgres://postgres@127.0.0.1:5432/postgres
BOUNCER_PORT=6433

step "fleet chores: PostgreSQL on 127.0.0.1:5432"
if ! answers 5432; then
  if [ ! -d /etc/postgresql ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do answers 5432 && break; sleep 1; done
fi
answers 5432 || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
echo "ok: PostgreSQL answers on 127.0.0.1:5432"

step "fleet chores: purge lock, key deletion and the chain-walk bound, on PostgreSQL"
DATABASE_URL=$DIRECT pnpm vitest run \
  packages/core/src/pruner.test.ts \
  packages/core/src/mikro-orm/purge-lock.test.ts \
  packages/core/src/mikro-orm/mikro-orm-store.test.ts \
  packages/core/src/chain-walk-work.test.ts \
  packages/core/src/keys/delete-stored-key.test.ts
DATABASE_URL=$DIRECT pnpm vitest run packages/core/src/cli/kit.test.ts -t 'kit keys delete|kit prune'

step "fleet chores: the purge lock through PgBouncer in transaction mode (127.0.0.1:$BOUNCER_PORT)"
if ! command -v pgbouncer >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi
pgbouncer --version | head -n1
bouncer_dir=$(mktemp -d)
cat >"$bouncer_dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = $bouncer_dir/userlist.txt
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
EOF
echo '"postgres" ""' >"$bouncer_dir/userlist.txt"
chown -R postgres "$bouncer_dir"
stop_bouncer() {
  if [ -f "$bouncer_dir/pgbouncer.pid" ]; then kill "$(cat "$bouncer_dir/pgbouncer.pid")" 2>/dev/null || true; fi
  rm -rf "$bouncer_dir"
}
trap stop_bouncer EXIT
# PgBouncer refuses to run as root: -u switches to the postgres user.
pgbouncer -d -u postgres "$bouncer_dir/pgbouncer.ini"
for _ in $(seq 1 30); do answers "$BOUNCER_PORT" && break; sleep 1; done
answers "$BOUNCER_PORT" || { cat "$bouncer_dir/pgbouncer.log" >&2; echo "PgBouncer did not start" >&2; exit 1; }
DATABASE_URL=postgres://postgres@127.0.0.1:$BOUNCER_PORT/postgres pnpm vitest run \
  packages/core/src/mikro-orm/purge-lock.test.ts
stop_bouncer
trap - EXIT

step "fleet chores: 300 concurrent POST /revoke, each a different old token of a session rotated 30,000 times (printed)"
DATABASE_URL=$DIRECT pnpm --filter @kit/bench revoke-storm
echo "ok: fleet chores"
