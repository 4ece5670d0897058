"""Models of the communities app: the registry (street, communities, organisations, grid,
facilities, access; `registry.py`) and the ledgers of residents (`ledgers.py`, ORG-13)."""

from communities.models.ledgers import *  # noqa: F403
from communities.models.registry import *  # noqa: F403
