"""The one error type of the system (CONVENTIONS: A rule in code).

A RuleViolation carries a stable rule id (ORG-3, FIN-4, ...) and a translated message.
It subclasses ValidationError so Django forms and the admin show it next to the field,
and the API's exception handler turns it into {"code": rule_id, "detail": ...}.
"""

from django.core.exceptions import ValidationError


class RuleViolation(ValidationError):
    def __init__(self, rule_id: str, message, *, field: str | None = None, params=None):
        self.rule_id = rule_id
        text = f"[{rule_id}] {message}"
        if field:
            super().__init__({field: [ValidationError(text, code=rule_id, params=params)]})
        else:
            super().__init__(text, code=rule_id, params=params)
