"""What the disclosure admin modules share: error messages and dates from the forms."""

import datetime as dt

from django.contrib import messages


def show_errors(model_admin, request, exc) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        model_admin.message_user(request, message, messages.ERROR)


def date_or_none(value):
    return dt.date.fromisoformat(value) if value else None
