#!/usr/bin/env bash
# Connection poolers: runs the store's PostgreSQL tests (the session store and its conformance
# suite, grouped rotations, the rate-limit store, migrations, the key store's lock, the pooler
# test), the pruner's tests, the database-outage test and the two-instance test through a stock
# PgBouncer in transaction mode, the way most hosted PostgreSQL is reached.
#
# PgBouncer runs with its own configuration in a temporary directory: transaction pooling, trust
# authentication on loopback, one wildcard database entry pointing at 127.0.0.1:5432 (so the
# database each test file creates is reachable through it), and PgBouncer's defaults for everything
# else: no `ignore_startup_parameters`, no `max_prepared_statements` (1.18 has no prepared-statement
# tracking at all), `server_reset_query` unused in transaction mode. Only `max_client_conn` is
# raised, because the test files open more client connections at once than its default of 100.
# Databases are created on the server directly (a pooler cannot run `create database`); everything
# the tests connect with goes through the pooler (`KIT_TEST_POOLER_URL`, see
# packages/test-support/postgres/database.ts).
#
# Runs from the repository's root as root, after `pnpm install --frozen-lockfile` and `pnpm build`.
# Needs Debian's apt when pgbouncer is not installed, PostgreSQL on 127.0.0.1:5432 (started when it
# does not answer), and the `postgres` system user (PgBouncer refuses to run as root). Stops its
# PgBouncer on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
started=$SECONDS

step "pgbouncer: PostgreSQL on 127.0.0.1:5432"
ensure_postgres

step "pgbouncer: install"
command -v pgbouncer >/dev/null || apt_install pgbouncer
pgbouncer --version | head -n1
id postgres >/dev/null 2>&1 || { echo "no postgres user to run PgBouncer as (it refuses root)" >&2; exit 1; }

step "pgbouncer: start in transaction mode"
port=6432
while answers "$port"; do port=$((port + 1)); done
dir=$(mktemp -d "${TMPDIR:-/tmp}/kit-pgbouncer.XXXXXX")
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = $dir/userlist.txt
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
max_client_conn = 1000
EOF
printf '"postgres" ""\n' >"$dir/userlist.txt"
chown -R postgres "$dir"
chmod 700 "$dir"
stop() {
  # The pid file belongs to the postgres user: signal that pid only if it is a pgbouncer process.
  local pid
  pid=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pgbouncer ]; then
    kill "$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 20); do [ -e "$dir/pgbouncer.pid" ] || break; sleep 0.25; done
  rm -rf "$dir"
}
trap stop EXIT
runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini"
for _ in $(seq 1 40); do answers "$port" && break; sleep 0.25; done
answers "$port" || { cat "$dir/pgbouncer.log" >&2; echo "PgBouncer did not start on port $port" >&2; exit 1; }
echo "PgBouncer listening on 127.0.0.1:$port (pool_mode = transaction)"

step "pgbouncer: the store, outage and two-instance tests through PgBouncer"
DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
KIT_TEST_POOLER_URL="postgres://postgres@127.0.0.1:$port/postgres" \
  pnpm vitest run \
    packages/core/src/mikro-orm/ \
    packages/core/src/pruner.test.ts \
    packages/hono/src/database-outage.test.ts \
    apps/demo/src/instances.test.ts

# Proof the tests went through the pooler, not around it.
clients=$(grep -c 'kit_test_.*login attempt' "$dir/pgbouncer.log" || true)
echo "PgBouncer logged $clients client logins to the tests' databases"
[ "$clients" -gt 0 ] || { echo "no test connected through PgBouncer" >&2; exit 1; }

step "pgbouncer: done in $((SECONDS - started)) s"
