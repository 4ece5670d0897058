from pghistory.middleware import HistoryMiddleware


def client_ip(request) -> str | None:
    # Behind the production proxy (gunicorn behind nginx/ingress) the first X-Forwarded-For
    # hop is the client; locally REMOTE_ADDR is.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware(HistoryMiddleware):
    """Adds the client's IP to the audit context (who, when, from where: issue #3 §5)."""

    def get_context(self, request):
        context = super().get_context(request)
        context["ip"] = client_ip(request)
        return context
