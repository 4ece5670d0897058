"""Every write of affairs disclosure (CONVENTIONS: services): the workflow of items
(`items.py`) and their attachments (`attachments.py`), generated drafts (`generate.py`; from
the assembly's results `assembly.py`; from paid services' fees `paid_fees.py`) and
residents' questions (`questions.py`). Admin, portal and public views call these and nothing
else writes the models."""

from affairs_disclosure.services.assembly import assembly_content, item_generate_assembly
from affairs_disclosure.services.attachments import attachment_add, attachment_delete, check_upload
from affairs_disclosure.services.common import bump_public_version, street_perm
from affairs_disclosure.services.generate import (
    item_generate_finance,
    item_generate_list,
    latest_statement,
    list_content,
    statement_content,
)
from affairs_disclosure.services.items import (
    approval_perm,
    item_approve,
    item_archive,
    item_correct,
    item_delete,
    item_publish,
    item_return,
    item_save,
    item_stamp,
    may_return,
)
from affairs_disclosure.services.paid_fees import item_generate_paid_fees, paid_fees_content
from affairs_disclosure.services.questions import (
    REPLY_PERM,
    question_close,
    question_problems,
    question_reply,
    question_submit,
)

__all__ = [
    "REPLY_PERM",
    "approval_perm",
    "assembly_content",
    "attachment_add",
    "attachment_delete",
    "bump_public_version",
    "check_upload",
    "item_approve",
    "item_archive",
    "item_correct",
    "item_delete",
    "item_generate_assembly",
    "item_generate_finance",
    "item_generate_list",
    "item_generate_paid_fees",
    "item_publish",
    "item_return",
    "item_save",
    "item_stamp",
    "latest_statement",
    "list_content",
    "may_return",
    "paid_fees_content",
    "question_close",
    "question_problems",
    "question_reply",
    "question_submit",
    "statement_content",
    "street_perm",
]
