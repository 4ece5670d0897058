#!/usr/bin/env bash
# Start everything with demo data: embedded PostgreSQL and Redis (data in .data/), migrations,
# demo data, the web server, a Celery worker and beat. Prints the URLs and the demo logins.
#   ./run.sh            run until Ctrl-C
#   ./run.sh --check    start, fetch a few pages once, report, stop
# Set DATABASE_URL / REDIS_URL to use external servers instead; PORT to change the port.
set -euo pipefail
cd "$(dirname "$0")"
source tools/venv.sh
ensure_venv
exec .venv/bin/python -m tools.run "$@"
