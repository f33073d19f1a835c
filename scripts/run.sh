#!/usr/bin/env bash
# The embedded default: SQLite and a filesystem broker under var/, emails as files under
# var/mail/, one Celery worker with beat, and the web on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-true}"
mkdir -p var/mail var/broker/queue var/broker/processed var/broker/control

"$PY" manage.py migrate --noinput --verbosity 0
"$PY" manage.py loadseed
"$PY" manage.py ensure_admin

.venv/bin/celery -A kztrack worker --beat --concurrency 2 --loglevel INFO \
    --schedule var/celerybeat-schedule >var/worker.log 2>&1 &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null; wait "$WORKER" 2>/dev/null' EXIT INT TERM
echo "Celery worker + beat running (log: var/worker.log); emails land in var/mail/."
echo "Web: http://127.0.0.1:8000/  (Ctrl-C stops everything)"
"$PY" manage.py runserver 127.0.0.1:8000
