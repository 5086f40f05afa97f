#!/usr/bin/env bash
# Installed from packages: packs @kit/core and @kit/hono as they would be published (the only
# published packages: private workspace packages such as @kit/embedded-postgres and
# @kit/test-support have no build or check:package script and are never packed), installs the
# tarballs with plain npm into a fresh project outside the workspace, together with the peers the
# packages' READMEs name, and runs the READMEs' usage there: `kit secret generate`, `kit keys
# generate`, `kit migrate`, migrate(orm), a session, a refresh, @kit/core/verify, and the Hono
# routes over real HTTP. Also type-checks the READMEs' TypeScript blocks against the published
# types.
#
# Runs from the repository's root after `pnpm install --frozen-lockfile` and `pnpm build`. Needs the
# npm registry (for the peers) and PostgreSQL on 127.0.0.1:5432 (started when it does not answer);
# creates a database of its own and drops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

repo=$(pwd)
started=$SECONDS

step "packages: PostgreSQL on 127.0.0.1:5432"
ensure_postgres
ensure_psql

# A fresh project outside the workspace, so nothing resolves through the repository's node_modules.
work=$(mktemp -d "${TMPDIR:-/tmp}/kit-packages.XXXXXX")
database="kit_packages_$(date +%s)_$$"
cleanup() {
  psql -d postgres -c "drop database if exists $database with (force)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "packages: build and pack @kit/core and @kit/hono"
pnpm exec turbo run build --filter=@kit/core --filter=@kit/hono --output-logs=errors-only
mkdir -p "$work/tarballs" "$work/app"
for package in core hono; do
  (cd "packages/$package" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
core=$(ls "$work"/tarballs/kit-core-*.tgz)
hono=$(ls "$work"/tarballs/kit-hono-*.tgz)
ls -l "$work/tarballs" | tail -n +2

cd "$work/app"
printf '{ "name": "kit-packages-check", "private": true, "type": "module" }\n' >package.json

step "packages: npm install @kit/core alone (a verifier or the CLI's generators need no peer)"
npm install --no-save --loglevel=error "$core"
secret=$(npx --no-install kit secret generate)
keys=$(npx --no-install kit keys generate)
node --input-type=module -e '
  const { createVerifier } = await import("@kit/core/verify");
  const root = await import("@kit/core");
  const { generateSecret, importSigningKeys } = root;
  if (typeof createVerifier !== "function" || typeof generateSecret !== "function") process.exit(1);
  // createVerifier comes from @kit/core/verify only, whose node condition picks node:crypto.
  if ("createVerifier" in root) process.exit(1);
  const set = await importSigningKeys(JSON.parse(process.argv[1]));
  if (!set) process.exit(1);
' "$keys"
echo "ok: kit secret generate, kit keys generate, @kit/core and @kit/core/verify load without MikroORM; createVerifier only in @kit/core/verify"

# What the READMEs tell a user to install (packages/core/README.md, packages/hono/README.md).
# MikroORM at the version the kit is tested on; the peer range is ^6.6.16, so a later 6.x patch can
# be tried with KIT_MIKRO_ORM_VERSION=6.6.x.
orm_version=${KIT_MIKRO_ORM_VERSION:-6.6.16}
peers=("@mikro-orm/core@$orm_version" "@mikro-orm/postgresql@$orm_version" 'hono@^4.13.0' '@hono/node-server@^2.1.0'
  'redis@^6')
step "packages: npm install both tarballs and the documented peers: ${peers[*]}"
npm install --save --loglevel=error "$core" "$hono" "${peers[@]}" typescript@5.9.3 @types/node@20
npm ls --depth=0 | tail -n +2
node --input-type=module -e '
  const entries = ["@kit/core", "@kit/core/verify", "@kit/core/mikro-orm", "@kit/core/redis", "@kit/hono"];
  for (const entry of entries) await import(entry);
  const { createRedisRateLimitStore } = await import("@kit/core/redis");
  if (typeof createRedisRateLimitStore !== "function") process.exit(1);
'
echo "ok: every entry point loads from node_modules"

step "packages: the READMEs' TypeScript blocks type-check against the published types"
mkdir -p readme
n=0
for readme in "$repo/packages/core/README.md" "$repo/packages/hono/README.md"; do
  # Each ```ts block of the README as a module of its own.
  while IFS= read -r -d '' block; do
    n=$((n + 1))
    printf '%s\n' "$block" >"readme/block-$n.ts"
  done < <(awk '/^```ts$/ { inside = 1; next } /^```$/ && inside { inside = 0; printf "%c", 0; next } inside { print }' "$readme")
done
cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": ["node"],
    "noEmit": true,
    "skipLibCheck": true
  },
  "include": ["readme"]
}
JSON
npx --no-install tsc -p tsconfig.json
echo "ok: $n README blocks type-check"

step "packages: kit migrate on a fresh database"
psql -d postgres -c "create database $database" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
npx --no-install kit migrate
npx --no-install kit migrate

step "packages: the README's usage, run as plain JavaScript"
cp "$repo/.ci/steps/packages/usage.mjs" ./usage.mjs
KIT_SECRET="$secret" KIT_SIGNING_KEYS="$keys" node usage.mjs

step "packages: publint and attw on both packages"
cd "$repo"
pnpm check:packages

step "packages: passed in $((SECONDS - started)) s"
