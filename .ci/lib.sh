# Shared by .ci/run and the scripts of .ci/steps/ (sourced, not run): the CI environment, step
# headers, Debian installs, and the machine's PostgreSQL on 127.0.0.1:5432.

export CI=true
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_INTEGRITY_KEYS=0 TURBO_TELEMETRY_DISABLED=1
export NO_COLOR=1 FORCE_COLOR=0

# Each header shows the seconds since the script started, so a slow step stands out in the log.
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

# Whether something accepts connections on 127.0.0.1:$1.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# apt-get install, quietly, after one `apt-get update` per script.
apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then apt-get update -qq; apt_updated=true; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL on 127.0.0.1:5432: started (installed first on a machine without it) when nothing
# answers there; fails the script when it still does not answer after 30 s.
ensure_postgres() {
  if ! answers 5432; then
    [ -d /etc/postgresql ] || apt_install postgresql
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do answers 5432 && break; sleep 1; done
  fi
  answers 5432 || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
}

# psql as the postgres superuser on 127.0.0.1, stopping at the first error (the client installed
# when missing).
ensure_psql() {
  command -v psql >/dev/null || apt_install postgresql-client
}
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }
