#!/usr/bin/env bash
# Runs the tests that say whether the kit works on Citus against a running Citus coordinator:
#
#   CITUS_URL=postgres://postgres@coordinator:5432/postgres pnpm test:citus
#
# CITUS_URL names a superuser on the coordinator's maintenance database, the Citus extension
# installed there and the workers added (citus_add_node). The same user must reach every worker
# with the same credentials. Each test file gets a database of its own on the cluster, with the
# kit's tables migrated and distributed by `distributeKitTables`
# (packages/test-support/postgres/citus.ts). Nothing here builds or installs Citus.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CITUS_URL:-}" ]; then
  echo "citus: skipped, CITUS_URL is not set (a Citus coordinator's URL runs the store's tests, the HTTP routes and two instances there)"
  exit 0
fi

files=(
  # The store: the shared conformance suite, the Citus forms, purging and its lock, rate limits,
  # the database key store, and the CLI (kit citus distribute, kit sessions revoke --all).
  packages/core/src/mikro-orm/mikro-orm-store.test.ts
  packages/core/src/mikro-orm/purge-lock.test.ts
  packages/core/src/mikro-orm/create-mikro-orm-rate-limit-store.test.ts
  packages/core/src/keys/key-ring.test.ts
  packages/core/src/keys/delete-stored-key.test.ts
  packages/core/src/cli/kit-keys.test.ts
  packages/core/src/cli/kit-sessions.test.ts
  packages/core/src/cli/kit-database.test.ts
  # The kit on the store: concurrent refreshes; and, with KIT_TEST_STORE=postgresql below, the
  # kit's tests that otherwise run on the in-memory store: sessions, refresh with grace and reuse,
  # the revocation feed.
  packages/core/src/kit/kit-on-postgresql.test.ts
  packages/core/src/kit/create-auth-kit.test.ts
  packages/core/src/kit/sessions.test.ts
  packages/core/src/kit/revocations.test.ts
  # The HTTP contract, /logout scopes included, and two instances on one cluster.
  packages/hono/src/create-kit-routes.test.ts
  packages/hono/src/routes/token-route.test.ts
  packages/hono/src/routes/revoke-route.test.ts
  packages/hono/src/routes/discovery-routes.test.ts
  packages/hono/src/routes/session-routes.test.ts
  apps/demo/src/instances.test.ts
)
echo "citus: running ${#files[@]} test files against the coordinator of CITUS_URL"
DATABASE_URL="$CITUS_URL" KIT_TEST_STORE=postgresql pnpm vitest run "${files[@]}"
