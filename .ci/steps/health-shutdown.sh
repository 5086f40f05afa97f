#!/usr/bin/env bash
# The demo's health routes and graceful shutdown as the README's `pnpm demo` runs it, on the
# embedded PostgreSQL: /healthz and /readyz answer 200, then SIGTERM to the server process (what an
# orchestrator sends) must end it with exit code 0 within the documented bound (10 s of drain plus
# 5 s of cleanup), after `shutdown: done`, with the embedded PostgreSQL stopped and the port closed.
# (Requests in flight, the bound and a database outage are covered by the demo's tests in
# `pnpm test`: apps/demo/src/health-shutdown.test.ts and graceful-shutdown.test.ts.)
#
# Runs from the repository's root as root, after `pnpm install --frozen-lockfile` and `pnpm build`.
# Needs nothing else: Node, pnpm (corepack) and curl, which the other steps already use.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib.sh

port=3077
bound_s=15
log=$(mktemp)

step "health-shutdown: pnpm demo on the embedded PostgreSQL, port $port"
# A session of its own, so every process it starts (pnpm, node, postgres) can be found by it.
env -u DATABASE_URL PORT=$port setsid pnpm demo >"$log" 2>&1 &
demo_pid=$!
cleanup() {
  kill -KILL -- -"$demo_pid" 2>/dev/null || true
  wait "$demo_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  grep -q "^listening on http://127.0.0.1:$port\$" "$log" && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 1
done
grep -q "^listening on http://127.0.0.1:$port\$" "$log" || {
  cat "$log"
  echo "health-shutdown: the demo did not start" >&2
  exit 1
}

step "health-shutdown: /healthz and /readyz"
for path in /healthz /readyz; do
  body=$(curl -sS --max-time 5 -D "$log.headers" "http://127.0.0.1:$port$path")
  status=$(head -n1 "$log.headers" | cut -d' ' -f2)
  echo "$path -> $status $body"
  [ "$status" = 200 ] || { cat "$log"; echo "health-shutdown: $path answered $status" >&2; exit 1; }
  grep -qi '^cache-control: no-store' "$log.headers" || { echo "health-shutdown: $path without no-store" >&2; exit 1; }
done

step "health-shutdown: SIGTERM to the server process"
# The node process running the built demo (dist/main.mjs, started by apps/demo/scripts/start.mjs).
server_pid=$(pgrep -n -s "$demo_pid" -f 'dist/main\.mjs' || true)
[ -n "$server_pid" ] || { echo "health-shutdown: no server process found" >&2; exit 1; }
started=$(date +%s%N)
kill -TERM "$server_pid"
rc=0
timeout "$bound_s" tail --pid="$demo_pid" -f /dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$log"; echo "health-shutdown: still running ${bound_s} s after SIGTERM" >&2; exit 1; }
wait "$demo_pid" && code=0 || code=$?
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
trap - EXIT
echo "exit code $code, ${elapsed_ms} ms after SIGTERM"
# The demo logs JSON (pino): its shutdown lines are messages of JSON lines.
grep -E '"msg":"(shutting down|shutdown:)' "$log" || true
[ "$code" = 0 ] || { cat "$log"; echo "health-shutdown: exit code $code, expected 0" >&2; exit 1; }
grep -q '"msg":"shutdown: done in [0-9]* ms"}$' "$log" || { cat "$log"; echo "health-shutdown: no 'shutdown: done' line" >&2; exit 1; }
# Live processes left in the demo's session (zombies, such as tsx's esbuild after its parent exits,
# are already dead and only wait to be reaped).
left=$(ps -o pid=,stat=,args= -s "$demo_pid" | awk '$2 !~ /^Z/' || true)
if [ -n "$left" ]; then
  echo "$left"
  echo "health-shutdown: processes of the demo (the embedded PostgreSQL?) outlived it" >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "health-shutdown: port $port still accepts connections" >&2
  exit 1
fi
echo "ok: exited 0 in ${elapsed_ms} ms, the embedded PostgreSQL stopped, the port closed"
rm -f "$log" "$log.headers"
