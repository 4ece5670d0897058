from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness for docker-compose: the app answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
