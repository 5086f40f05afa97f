#!/usr/bin/env bash
# Redis for the tests of the Redis rate-limit store (@kit/core/redis): makes sure a Redis answers on
# 127.0.0.1:6379, installing Debian's redis-server and starting it (no persistence, loopback only)
# when nothing answers there. Run it before the test runs: they use Redis on 127.0.0.1:6379 (or
# REDIS_URL), and under CI=true a missing Redis fails them rather than skipping them.
#
# Runs from the repository's root as root, after `pnpm install --frozen-lockfile` and `pnpm build`.
# Needs Debian's apt only when redis-server is not installed. Leaves Redis running for the later
# steps.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib.sh

# Whether a Redis answers PING on 127.0.0.1:6379 (any reply: +PONG, or -NOAUTH from a protected one).
redis_answers() {
  local reply
  exec 3<>/dev/tcp/127.0.0.1/6379 || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || reply=''
  exec 3<&- 3>&-
  [[ $reply == +PONG* || $reply == -* ]]
}

step "redis: Redis on 127.0.0.1:6379"
if redis_answers 2>/dev/null; then
  echo "a Redis already answers on 127.0.0.1:6379"
else
  if ! command -v redis-server >/dev/null; then
    step "redis: installing redis-server"
    apt_install redis-server
  fi
  step "redis: starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis_answers 2>/dev/null && break; sleep 1; done
  redis_answers 2>/dev/null || { echo "Redis does not answer on 127.0.0.1:6379 after 30 s" >&2; exit 1; }
fi
redis-server --version 2>/dev/null || true
echo "ok: Redis answers on 127.0.0.1:6379"
