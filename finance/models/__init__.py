"""Models of the finance chapter (issue #6): accounts, funding, budgets, incomes
(`accounts.py`), expense claims with their approvals and payments (`claims.py`), the
books, reconciliations and quarterly statements (`books.py`), the receipt-form register
(`receipts.py`), in-kind donations (`inkind.py`) and paid services (`paid.py`)."""

from finance.models.accounts import *  # noqa: F403
from finance.models.books import *  # noqa: F403
from finance.models.choices import *  # noqa: F403
from finance.models.claims import *  # noqa: F403
from finance.models.inkind import *  # noqa: F403
from finance.models.paid import *  # noqa: F403
from finance.models.receipts import *  # noqa: F403
