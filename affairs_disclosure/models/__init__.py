"""Affairs disclosure (居务公开, issue #7): disclosure items with their approvals, stamp and
attachments, and residents' questions with the published replies.

Rule ids: DISC-1 categories, DISC-2 quarterly deadline, DISC-3 approvals, DISC-4 questions,
DISC-5 channels, DISC-6 monthly release, DISC-7 party affairs, FIN-7 the supervision
committee's stamp. Published and archived items never change: database triggers refuse it
(a correction is a new version that `supersedes` the published one).

The package: choices (`choices.py`), the item and its freezing triggers (`items.py`), its
approvals and attachments (`parts.py`), residents' questions (`questions.py`)."""

from affairs_disclosure.models.choices import *  # noqa: F403
from affairs_disclosure.models.items import *  # noqa: F403
from affairs_disclosure.models.parts import *  # noqa: F403
from affairs_disclosure.models.questions import *  # noqa: F403
