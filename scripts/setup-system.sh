#!/usr/bin/env bash
# System set-up shared by `make test` and `.ci/run` (and whatever later needs a system
# package or a peer: add it here, never in a second place).
#
# 1. Installs the Debian packages the suite needs and pip cannot provide. As root this runs
#    apt-get; otherwise it prints the exact command to run and stops, so the suite never
#    fails later with a dozen unrelated-looking errors.
# 2. Starts the peers the suite talks to through DATABASE_URL / REDIS_URL when they point at
#    this machine and are down, and creates the database. Without those variables the suite
#    uses SQLite and needs no server. The other peers (clamd with a test-only signature,
#    redis-server for the outage test, moto's S3, aiosmtpd, uvicorn) are started by the tests
#    themselves, from the binaries installed here.
#
# Idempotent and quick when everything is in place (one dpkg query per package).
set -euo pipefail

# --- Debian packages: one line each, with who needs it --------------------------------
APT_PACKAGES=(
  libmagic1       # python-magic: content sniffing of uploads and files
  clamav-daemon   # clamd binary: tests/files/conftest.py starts it with an EICAR-only database
  clamdscan       # clamd's client tools, used by the scanning tests' daemon checks
  redis-server    # redis-server binary: tests/core/test_health.py starts and stops its own
  dovecot-imapd   # dovecot binary: tests/emails/conftest.py starts an IMAP server (testing/dovecot.py)
)

say() { printf 'setup-system: %s\n' "$*" >&2; }

missing=()
for line in "${APT_PACKAGES[@]}"; do
  pkg=${line%% *}
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo -n apt-get)
  else
    say "the test suite needs these system packages, which are not installed: ${missing[*]}"
    say "install them once (as root), then run the command again:"
    say "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  say "installing ${missing[*]} (first run only)"
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" update -qq || say "apt-get update failed; trying the install with the current lists"
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Peers behind DATABASE_URL / REDIS_URL ----------------------------------------------
is_loopback() { case "$1" in 127.0.0.1|localhost|::1|'') return 0 ;; *) return 1 ;; esac; }

# postgres://user@host:port/name?opts -> host, port, name
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  rest=${DATABASE_URL#*://}; rest=${rest#*@}
  hostport=${rest%%/*}; db_name=${rest#*/}; db_name=${db_name%%\?*}
  pg_host=${hostport%%:*}; pg_port=5432
  [[ "$hostport" == *:* ]] && pg_port=${hostport##*:}
  if is_loopback "$pg_host"; then
    pg_host=${pg_host:-127.0.0.1}
    if ! pg_isready -h "$pg_host" -p "$pg_port" -q 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
      cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
      say "starting PostgreSQL $cluster"
      pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
      for _ in $(seq 1 50); do pg_isready -h "$pg_host" -p "$pg_port" -q && break; sleep 0.2; done
    fi
    pg_isready -h "$pg_host" -p "$pg_port" -q \
      || { say "PostgreSQL does not answer on $pg_host:$pg_port (DATABASE_URL)"; exit 1; }
    admin_url="${DATABASE_URL%/*}/postgres"
    if ! psql "$admin_url" -w -tAc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
      cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
      say "enabling trust auth on $pg_host for the test cluster ($cluster)"
      sed -i "1i host    all    all    ${pg_host}/32    trust" "/etc/postgresql/$cluster/main/pg_hba.conf"
      pg_ctlcluster --skip-systemctl-redirect "$cluster" main reload
      sleep 1
    fi
    # `makemigrations --check` connects to the main database; pytest creates test_<name> itself.
    psql "$admin_url" -w -tAc "SELECT 1 FROM pg_database WHERE datname='${db_name}'" | grep -q 1 \
      || psql "$admin_url" -w -qc "CREATE DATABASE \"${db_name}\""
  fi
fi

if [[ "${REDIS_URL:-}" == redis://* ]]; then
  rest=${REDIS_URL#redis://}; rest=${rest#*@}; hostport=${rest%%/*}
  redis_host=${hostport%%:*}; redis_port=6379
  [[ "$hostport" == *:* ]] && redis_port=${hostport##*:}
  if is_loopback "$redis_host"; then
    redis_host=${redis_host:-127.0.0.1}
    if ! redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
      say "starting Redis on $redis_host:$redis_port"
      mkdir -p var/redis
      redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" \
        --appendonly no --dir "$PWD/var/redis" --logfile "$PWD/var/redis/redis.log"
      for _ in $(seq 1 50); do
        redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1
      done
    fi
    redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -q PONG \
      || { say "Redis does not answer on $redis_host:$redis_port (REDIS_URL)"; exit 1; }
  fi
fi
