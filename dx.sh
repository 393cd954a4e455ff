#!/usr/bin/env bash
# DX Portal: the two commands a newcomer needs.
#   ./dx.sh run    set up (venv, requirements, migrate, demo data) and serve http://127.0.0.1:8000
#   ./dx.sh test   set up and run the whole test suite (SQLite; then PostgreSQL too when it is reachable)
# Both are idempotent. Needs Python 3.11+ only; PostgreSQL, Redis and Chromium are used when present
# (and required when DXPORTAL_REQUIRE_SERVICES=1, as in CI).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${VENV:-.venv}
PY="$VENV/bin/python"

setup() {
  if [ ! -x "$PY" ]; then
    echo "==> creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256" want
  want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing requirements"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r requirements-dev.txt
    echo "$want" > "$stamp"
  fi
  # axe-core for the accessibility tests (pinned in package-lock.json), when npm is available.
  if command -v npm >/dev/null 2>&1 && [ -f package-lock.json ] && [ ! -f node_modules/axe-core/axe.min.js ]; then
    echo "==> installing axe-core (npm ci)"
    npm ci --no-audit --no-fund --silent
  fi
}

pg_url() {
  # The PostgreSQL to test against: $DXPORTAL_TEST_POSTGRES_URL, or the local server if it answers.
  local url=${DXPORTAL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/dxportal}
  if "$PY" - "$url" <<'PYCODE' 2>/dev/null; then echo "$url"; fi
import sys, dj_database_url, psycopg2
cfg = dj_database_url.parse(sys.argv[1])
psycopg2.connect(dbname="postgres", user=cfg["USER"], password=cfg["PASSWORD"], host=cfg["HOST"],
                 port=cfg["PORT"] or 5432, connect_timeout=3).close()
PYCODE
}

redis_url() {
  local url=${DXPORTAL_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
  if "$PY" -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$url" 2>/dev/null; then
    echo "$url"
  fi
}

cmd_run() {
  setup
  "$PY" manage.py migrate --noinput
  "$PY" manage.py seed_demo
  echo "==> DX Portal: http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)  Ctrl-C to stop"
  exec "$PY" manage.py runserver "${PORT:-127.0.0.1:8000}"
}

cmd_test() {
  setup
  local require=${DXPORTAL_REQUIRE_SERVICES:-}
  [ "${CI:-}" = "true" ] && require=1
  export DXPORTAL_REQUIRE_SERVICES=$require
  local redis pg
  redis=$(redis_url)
  if [ -n "$redis" ]; then export DXPORTAL_TEST_REDIS_URL=$redis; fi
  pg=$(pg_url)
  if [ "$require" = "1" ] && { [ -z "$pg" ] || [ -z "$redis" ]; }; then
    echo "ERROR: CI needs PostgreSQL (${pg:-unreachable}) and Redis (${redis:-unreachable}) on 127.0.0.1" >&2
    exit 1
  fi
  echo "==> lint and format (ruff) and layer contracts (import-linter)"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  "$VENV/bin/lint-imports" --no-cache
  echo "==> test suite on SQLite"
  env -u DATABASE_URL "$PY" -m pytest "$@"
  if [ -n "$pg" ]; then
    echo "==> test suite on PostgreSQL ($pg; pytest-django creates and drops its own test_ database)"
    DATABASE_URL=$pg "$PY" -m pytest --create-db "$@"
  else
    echo "==> PostgreSQL not reachable: skipped the PostgreSQL run (CI runs it)"
  fi
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  test) shift; cmd_test "$@" ;;
  *) echo "usage: ./dx.sh run | ./dx.sh test [pytest args]" >&2; exit 2 ;;
esac
