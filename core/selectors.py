"""Reads shared across apps: the compliance matrix (latest finding per community × check)."""

from dataclasses import dataclass, field

from django.http import Http404

from core.compliance import Check, checks
from core.models import ComplianceFinding, FindingStatus
from core.scoping import scoped


@dataclass
class MatrixRow:
    community: object
    cells: list  # one ComplianceFinding or None per check, in `Matrix.checks` order
    counts: dict = field(default_factory=dict)
    pairs: list = field(default_factory=list)  # (check, finding or None)


@dataclass
class Matrix:
    checks: list[Check]
    rows: list[MatrixRow]
    community: object | None = None  # set when the matrix is for one community


def compliance_matrix(*, user, community_id: int | None = None) -> Matrix:
    """Latest finding of every check for every community the user may see: three queries
    whatever the number of communities or days of history."""
    from communities.models import Community

    communities = scoped(Community.objects.filter(is_active=True), user).select_related("street")
    if community_id is not None:
        communities = communities.filter(pk=community_id)
    communities = list(communities.order_by("street__name", "name"))
    if community_id is not None and not communities:
        raise Http404
    latest = (
        scoped(ComplianceFinding.objects.all(), user)
        .filter(community__in=[c.pk for c in communities])
        .select_related("profile")
        .order_by("community_id", "check_code", "-run_date")
        .distinct("community_id", "check_code")
    )
    by_key = {(f.community_id, f.check_code): f for f in latest}
    all_checks = checks()
    rows = []
    for community in communities:
        cells = [by_key.get((community.pk, c.code)) for c in all_checks]
        counts = {s: sum(1 for f in cells if f and f.status == s) for s in FindingStatus.values}
        rows.append(MatrixRow(community, cells, counts, list(zip(all_checks, cells, strict=True))))
    return Matrix(all_checks, rows, communities[0] if community_id is not None else None)
