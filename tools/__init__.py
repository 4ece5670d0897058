"""Developer tooling: the `./run.sh` and `./test.sh` commands and their helpers.

Nothing here is imported by the Django project itself; these modules only start
and stop processes around it (embedded PostgreSQL and Redis, runserver, Celery).
"""
