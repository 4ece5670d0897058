"""Admin of affairs disclosure, in Chinese: items (drafts edited through the services; the
workflow as buttons on the item and as list actions), attachments, residents' questions
(answered or closed through the services), the street table (DISC-2) and the generation of
drafts from the quarterly statement and the ledgers. Every list is scoped; another
community's id is 404.

The package: items and their workflow (`items.py`), the street table and generated drafts
(`tools.py`), attachments (`attachments.py`), residents' questions (`questions.py`)."""

from affairs_disclosure.admin.attachments import DisclosureAttachmentAdmin
from affairs_disclosure.admin.items import DisclosureItemAdmin, run_transition
from affairs_disclosure.admin.questions import ResidentQuestionAdmin

__all__ = [
    "DisclosureAttachmentAdmin",
    "DisclosureItemAdmin",
    "ResidentQuestionAdmin",
    "run_transition",
]
