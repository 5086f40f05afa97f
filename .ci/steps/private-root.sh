#!/usr/bin/env bash
# Root in a private directory: clones the committed HEAD into a mode-700 directory (as a container's
# /root is) and, there, as root and with DATABASE_URL unset, runs the README's demo command (smoke
# test against it, then a graceful stop), the example app's migrate command of the getting-started
# guide (the same embedded PostgreSQL), then the README's test command: the whole suite on the
# embedded PostgreSQL (the run of .ci/run on that path).
# There the server runs as the `postgres` user, who cannot enter the clone: the binaries are copied
# to a root-owned directory and the data kept outside the clone (docs/operations.md, "Containers and
# root").
#
# Runs from the repository's root as root, after `pnpm install --frozen-lockfile`. Needs git, Node
# with corepack, and useradd (it creates the `postgres` user when missing). Cleans up its processes,
# the clone and the demo's relocated data on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib.sh
started=$SECONDS

if [ "$(id -u)" != 0 ]; then
  echo "private-root: must run as root (it tests what root meets)" >&2
  exit 1
fi

demo_command=$(grep -m1 -E '^corepack enable .*pnpm demo$' README.md)
test_command=$(grep -m1 -E '^corepack enable .*pnpm test$' README.md)
dir=$(mktemp -d /tmp/kit-private-root.XXXXXX)
chmod 700 "$dir"
log="$dir/demo.log"
demo_pid=''

cleanup() {
  if [ -n "$demo_pid" ]; then
    kill -INT -- "-$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
    demo_pid=''
  fi
  # The demo's and the example's data live outside the clone (their .data/postgres link to it).
  local link
  for link in "$dir/kit/apps/demo/.data/postgres" "$dir/kit/examples/hono-app/.data/postgres"; do
    if [ -L "$link" ]; then
      case "$(readlink "$link")" in
        */data/postgres-*) rm -rf -- "$(readlink "$link")" ;;
      esac
    fi
  done
  rm -rf -- "$dir"
}
trap cleanup EXIT

step "private-root: clone of HEAD in $dir (mode $(stat -c %a "$dir"))"
git clone -q "$PWD" "$dir/kit"
cd "$dir/kit"
git log --oneline -1

port=$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")

step "private-root: the README's demo command, as root, DATABASE_URL unset, PORT=$port: $demo_command"
env -u DATABASE_URL PORT="$port" setsid bash -c "$demo_command" >"$log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 180); do
  grep -q "^listening on http://127.0.0.1:$port\$" "$log" && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 1
done
if ! grep -q "^listening on http://127.0.0.1:$port\$" "$log"; then
  cat "$log"
  echo "private-root: the demo did not start in a private directory" >&2
  exit 1
fi
# The demo logs JSON (pino): where the data went, and why, is the message of one of its lines; the
# clone keeps a link to it.
grep -E '"msg":"using an embedded PostgreSQL' "$log"
grep -q "links there): as root the server runs as the postgres user, who cannot enter $dir\"}\$" "$log" || {
  cat "$log"
  echo "private-root: the demo did not say where its data lives and why" >&2
  exit 1
}
data=$(readlink apps/demo/.data/postgres)
[ "$(stat -c %U "$data")" = postgres ] || { echo "private-root: $data is not owned by postgres" >&2; exit 1; }
node scripts/demo-smoke.mjs "http://127.0.0.1:$port"

step "private-root: stopping the demo (SIGINT): the embedded PostgreSQL stops with it"
kill -INT -- "-$demo_pid"
wait "$demo_pid" || true
demo_pid=''
if pgrep -f -- "-D $data" >/dev/null; then
  echo "private-root: the embedded PostgreSQL still runs after the demo stopped" >&2
  exit 1
fi
echo "ok: the demo ran and stopped from a private directory"

migrate_command=$(grep -m1 -E '^pnpm --filter @kit/example-hono-app migrate$' docs/getting-started.md)
step "private-root: the example app's embedded PostgreSQL, as root, DATABASE_URL unset: $migrate_command"
env -u DATABASE_URL bash -c "$migrate_command" >"$log" 2>&1 || {
  cat "$log"
  echo "private-root: the example app did not migrate from a private directory" >&2
  exit 1
}
grep -q "(examples/hono-app/.data/postgres links there): as root the server runs as the postgres user, who cannot enter $dir\$" "$log" &&
  grep -q '^applied: 0001-create-sessions' "$log" || {
  cat "$log"
  echo "private-root: the example app did not say where its data lives, or applied no migration" >&2
  exit 1
}
data=$(readlink examples/hono-app/.data/postgres)
[ "$(stat -c %U "$data")" = postgres ] || { echo "private-root: $data is not owned by postgres" >&2; exit 1; }
echo "ok: the example app migrated from a private directory"

step "private-root: the README's test command, as root, DATABASE_URL unset: $test_command"
env -u DATABASE_URL bash -c "$test_command"

echo "ok: private-root took $((SECONDS - started)) s"
