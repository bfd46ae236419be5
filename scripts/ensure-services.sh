#!/usr/bin/env bash
# Make sure what the test suite talks to is there: the PostgreSQL server of this machine kind
# (127.0.0.1:5432, trust auth, database `test`) and Debian's Chromium for the browser tests.
# Idempotent; prints what it does.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "ensure-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
pg_isready -h 127.0.0.1 -p 5432 || echo "ensure-services: PostgreSQL is not reachable on 127.0.0.1:5432"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-services: installing Debian's chromium and chromium-driver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "ensure-services: /usr/bin/chromium missing; install Debian's chromium (browser tests need it)"
  fi
fi
