#!/usr/bin/env bash
# More runtimes: the built @kit/core/verify and @kit/hono's createBearerAuth under Bun and Deno.
#
# Packs @kit/core and @kit/hono, installs the tarballs with plain npm into a fresh project outside
# the workspace together with hono and the runtimes' own npm packages (bun and deno carry the binary
# for this platform), copies examples/runtimes' Web-API files there, and runs
# examples/runtimes/src/run.ts: the auth server on Node (the kit on PostgreSQL, its JWKS over HTTP)
# issues a valid, an expired and a wrong-audience token, then `bun src/bun.ts` and `deno run ...
# src/deno.ts` verify them against the JWKS and serve createBearerAuth through Hono (Bun.serve,
# Deno.serve), answering 200 and 401 over HTTP.
#
# Runs from the repository's root after `pnpm install --frozen-lockfile` and `pnpm build`. Needs the
# npm registry and PostgreSQL on 127.0.0.1:5432 (started when it does not answer); creates a
# database of its own and drops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# The runtimes' versions, pinned: bump them here on purpose.
BUN_VERSION=1.4.5
DENO_VERSION=2.9.6

repo=$(pwd)
started=$SECONDS

step "runtimes: PostgreSQL on 127.0.0.1:5432"
ensure_postgres
ensure_psql

work=$(mktemp -d "${TMPDIR:-/tmp}/kit-runtimes.XXXXXX")
database="kit_runtimes_$(date +%s)_$$"
cleanup() {
  psql -d postgres -c "drop database if exists $database with (force)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "runtimes: build and pack @kit/core and @kit/hono"
pnpm exec turbo run build --filter=@kit/core --filter=@kit/hono --output-logs=errors-only
mkdir -p "$work/tarballs" "$work/app"
for package in core hono; do
  (cd "packages/$package" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done

step "runtimes: npm install the tarballs, hono, bun@$BUN_VERSION and deno@$DENO_VERSION"
cd "$work/app"
printf '{ "name": "kit-runtimes-check", "private": true, "type": "module" }\n' >package.json
npm install --save --loglevel=error "$work"/tarballs/kit-core-*.tgz "$work"/tarballs/kit-hono-*.tgz \
  'hono@^4.13.0' "bun@$BUN_VERSION" "deno@$DENO_VERSION"
export PATH="$work/app/node_modules/.bin:$PATH"
echo "bun $(bun --version)"
deno --version | head -n1
mkdir src
cp "$repo"/examples/runtimes/src/{app,check,bun,deno}.ts src/

step "runtimes: the auth server on Node issues tokens; Bun and Deno verify them and serve the API"
psql -d postgres -c "create database $database" >/dev/null
cd "$repo/examples/runtimes"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database" DENO_NO_UPDATE_CHECK=1 pnpm exec tsx src/run.ts "$work/app" \
  'bun src/bun.ts' \
  'deno run --allow-net=127.0.0.1 --allow-env --no-prompt src/deno.ts'

step "runtimes: passed in $((SECONDS - started)) s"
