"""Every write of the finance chapter (issue #6): the admin, the worker portal and the API
call these functions, so no path bypasses a rule. Split by subject (CONVENTIONS: a package
once a file passes ~400 lines): claims (`claims.py`), approvals and payment
(`approvals.py`), accounts, funding, incomes and budgets (`funds.py`), journals,
reconciliations and statements (`books.py`), the receipt-form register (`receipts.py`),
in-kind donations (`donations.py`) and paid services (`paid.py`)."""

from finance.services.approvals import *  # noqa: F403
from finance.services.books import *  # noqa: F403
from finance.services.claims import *  # noqa: F403
from finance.services.common import book_balance, street_perm  # noqa: F401
from finance.services.donations import *  # noqa: F403
from finance.services.funds import *  # noqa: F403
from finance.services.paid import *  # noqa: F403
from finance.services.receipts import *  # noqa: F403
