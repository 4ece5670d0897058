from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# drf-spectacular names an enum after its field; finance's choice sets share field names
# with each other and with other apps ("state", "kind", "step", "method"), which the schema
# check reports as warnings (and `check --deploy --fail-level WARNING` fails). One name per
# choice set, by its import path. They belong in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
# in config/settings/base.py; added from here because this chapter does not own that file.
ENUM_NAME_OVERRIDES = {
    "FinanceClaimStateEnum": "finance.models.choices.ClaimState",
    "FinanceBudgetStateEnum": "finance.models.choices.BudgetState",
    "FinanceStatementStateEnum": "finance.models.choices.StatementState",
    "FinanceIncomeKindEnum": "finance.models.choices.IncomeKind",
    "FinanceAttachmentKindEnum": "finance.models.choices.AttachmentKind",
    "FinanceEntryKindEnum": "finance.models.choices.EntryKind",
    "FinanceApprovalStepEnum": "finance.models.choices.ApprovalStep",
    "FinanceExpenseCategoryEnum": "finance.models.choices.ExpenseCategory",
    "FinancePaymentMethodEnum": "finance.models.choices.PaymentMethod",
    "FinanceDecisionEnum": "finance.models.choices.Decision",
    "FinanceBookEnum": "finance.models.choices.Book",
    "FinanceDirectionEnum": "finance.models.choices.Direction",
}


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("社区财务")

    def ready(self):
        from django.conf import settings

        spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
        if isinstance(spectacular, dict):
            overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
            for name, path in ENUM_NAME_OVERRIDES.items():
                overrides.setdefault(name, path)
