#!/usr/bin/env bash
# Brings up the services the tests use, configured for change data capture. Idempotent: a service
# that already runs with the right settings is left alone; one with wrong settings is reconfigured
# and restarted; one that is down is started.
#   PostgreSQL 127.0.0.1:5432 (user postgres, trust)  wal_level=logical
#   MariaDB    127.0.0.1:3306 (root, no password)     log_bin on, binlog_format=ROW, binlog_row_image=FULL
#   Redis      127.0.0.1:6379                          the queue of distributed runs (tools/cli/test/distributed-runs.test.ts)
set -euo pipefail

log() { echo "services: $*" >&2; }

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$name did not come up"; return 1
}

pg_up() { psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }
pg_cluster() { ls /etc/postgresql | sort -V | tail -1; }

postgres() {
  local version; version=$(pg_cluster)
  if ! pg_up; then
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL pg_up
  fi
  local wal slots senders
  wal=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'show wal_level')
  slots=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'show max_replication_slots')
  senders=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'show max_wal_senders')
  if [ "$wal" != logical ] || [ "$slots" -lt 20 ] || [ "$senders" -lt 20 ]; then
    log "PostgreSQL: wal_level=$wal max_replication_slots=$slots -> logical/20, restarting"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "alter system set wal_level = logical" \
      -c "alter system set max_replication_slots = 20" -c "alter system set max_wal_senders = 20"
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    wait_for PostgreSQL pg_up
  fi
  # Replication connections from localhost must be allowed for logical streaming (trust, like the rest).
  local hba; hba=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'show hba_file')
  if ! grep -Eq '^host\s+replication\s+all\s+127\.0\.0\.1/32' "$hba"; then
    log "PostgreSQL: allowing replication connections from 127.0.0.1"
    sed -i '1i host replication all 127.0.0.1/32 trust\nhost replication all ::1/128 trust' "$hba"
    psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select pg_reload_conf()' >/dev/null
  fi
  log "PostgreSQL ready (wal_level=logical)"
}

maria_sql() { mariadb -h 127.0.0.1 -P 3306 -u root -N -B -e "$1"; }
maria_up() { maria_sql 'select 1' >/dev/null 2>&1; }
# The machine's my.cnf includes no conf.d directory, so the binlog settings go on the command line.
MARIA_CDC_ARGS=(--server-id=1 --log-bin=mysql-bin --binlog-format=ROW --binlog-row-image=FULL --expire-logs-days=2)
maria_start() {
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- "${MARIA_CDC_ARGS[@]}"
  wait_for MariaDB maria_up
}

mariadb_service() {
  if ! command -v mariadb >/dev/null; then log "MariaDB client not installed; skipping"; return 0; fi
  if ! maria_up; then log "starting MariaDB"; maria_start; fi
  if [ "$(maria_sql 'select @@log_bin, @@binlog_format, @@binlog_row_image')" != $'1\tROW\tFULL' ]; then
    log "MariaDB: enabling ROW binlog, restarting"
    mariadb-admin -h 127.0.0.1 -u root shutdown || true
    for _ in $(seq 1 60); do pgrep -x mariadbd >/dev/null || break; sleep 0.5; done
    maria_start
  fi
  log "MariaDB ready (binlog_format=ROW)"
}

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

redis_service() {
  if redis_up; then log "Redis ready"; return 0; fi
  if ! command -v redis-server >/dev/null; then
    log "installing redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
  fi
  log "starting Redis"
  # BullMQ's advice for a queue: keys are never evicted (noeviction), writes logged (appendonly).
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --maxmemory-policy noeviction --appendonly yes --dir /tmp >/dev/null
  wait_for Redis redis_up
  log "Redis ready"
}

postgres
mariadb_service
redis_service
