"""Small helpers shared by the tests."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def query_count(client, url) -> int:
    """How many SQL queries one GET of `url` runs (the response must be 200)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)
