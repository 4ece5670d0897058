"""Excel out of the smaller ledgers (issue #4): special groups, volunteers, volunteer service
records, households and resident units / social organisations, the way
communities.ledger_exports writes the residents: what the list's current filter shows
(the caller passes the list's own queryset, already scoped by the list's selector or the
admin changelist), limited again to the communities where the user holds the ledger's view
permission (ledger_selectors.permitted), phones and ID numbers masked unless the user asked
to reveal AND holds reveal_personal in the row's community, every text cell formula-escaped
(core.exports.safe_cell), written with openpyxl write-only from values() read in chunks,
and one PersonalDataLog row per community exported (filter, rows, fields shown in full).

A ledger that has an import spec is written in that spec's layout (core.imports
ledger_workbook) with a few read-only columns after it (the import skips unknown headers):
an export with full values re-imports as "unchanged"; a masked one is refused row by row by
the import (a masked ID number or phone is never taken for a real one).

These ledgers are small (hundreds of rows a community), so they are always sent at once;
the background ExportJob stays for the residents.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from communities import rules
from communities.ledger_exports import export_logged, file_response, header_cells, reveal_scope
from communities.ledger_selectors import permitted
from communities.models import (
    Household,
    Organisation,
    OrgKind,
    Relation,
    Resident,
    SpecialGroupMember,
    Volunteer,
    VolunteerService,
)
from core.exports import safe_cell
from core.imports import get_spec, ledger_workbook
from core.middleware import client_ip

CHUNK = 2000

MASKS = {"id_number": rules.mask_id, "phone": rules.mask_phone}


@dataclass(frozen=True)
class LedgerExport:
    """One ledger's export: the model logged, the view permission that limits the rows,
    the import spec whose layout it writes (None: a plain sheet of `extra`), the extra
    (key, header) columns, the personal keys masked unless revealed (key -> mask) and the
    function turning the filtered queryset into (community id, row dict) pairs."""

    model: str
    title: object
    perm: str
    spec: str | None
    extra: tuple = ()
    masks: dict = field(default_factory=dict)
    rows: Callable[[QuerySet], Iterator[tuple[int, dict]]] = None


def _ids(queryset: QuerySet) -> QuerySet:
    """The rows of the list's queryset as a subquery of primary keys: the export reads its
    own columns and annotations in one query, whatever the list annotated."""
    return queryset.order_by().values("pk")


def _values(queryset: QuerySet, *names) -> Iterator[dict]:
    return queryset.values(*names).iterator(chunk_size=CHUNK)


# --- the rows of each ledger ------------------------------------------------------------------


def _special_group_rows(queryset):
    members = SpecialGroupMember.objects.filter(pk__in=_ids(queryset)).order_by(
        "community_id", "group_type__sort_order", "resident__address_order", "id"
    )
    for r in _values(
        members,
        "community_id",
        "community__name",
        "resident__id_number",
        "resident__name",
        "resident__phone",
        "resident__household__address",
        "group_type__name",
        "starts_on",
        "ends_on",
        "grade",
        "monthly_amount",
        "household_size",
        "note",
    ):
        yield (
            r["community_id"],
            {
                "id_number": r["resident__id_number"],
                "name": r["resident__name"],
                "group_type": r["group_type__name"],
                "starts_on": r["starts_on"],
                "ends_on": r["ends_on"],
                "grade": r["grade"],
                "monthly_amount": r["monthly_amount"],
                "household_size": r["household_size"],
                "note": r["note"],
                "phone": r["resident__phone"],
                "address": r["resident__household__address"],
                "community": r["community__name"],
            },
        )


def _volunteer_rows(queryset):
    volunteers = (
        Volunteer.objects.filter(pk__in=_ids(queryset))
        .annotate(
            total_hours=Coalesce(
                Sum("services__hours"),
                Value(0),
                output_field=DecimalField(max_digits=9, decimal_places=1),
            ),
            n_services=Count("services"),
        )
        .order_by("community_id", "name", "id")
    )
    for r in _values(
        volunteers,
        "community_id",
        "community__name",
        "name",
        "phone",
        "organisation__name",
        "skills",
        "registered_on",
        "is_active",
        "n_services",
        "total_hours",
    ):
        yield (
            r["community_id"],
            {
                "name": r["name"],
                "phone": r["phone"],
                "organisation": r["organisation__name"],
                "skills": r["skills"],
                "registered_on": r["registered_on"],
                "is_active": r["is_active"],
                "n_services": r["n_services"],
                "total_hours": r["total_hours"],
                "community": r["community__name"],
            },
        )


def _volunteer_service_rows(queryset):
    services = VolunteerService.objects.filter(pk__in=_ids(queryset)).order_by(
        "community_id", "-date", "id"
    )
    for r in _values(
        services,
        "community_id",
        "community__name",
        "volunteer__name",
        "volunteer__phone",
        "date",
        "activity",
        "hours",
    ):
        yield (
            r["community_id"],
            {
                "name": r["volunteer__name"],
                "phone": r["volunteer__phone"],
                "date": r["date"],
                "activity": r["activity"],
                "hours": r["hours"],
                "community": r["community__name"],
            },
        )


def _household_rows(queryset):
    head = Resident.objects.filter(
        household_id=OuterRef("pk"), moved_out_on__isnull=True, relation=Relation.HEAD
    ).order_by("id")
    households = (
        Household.objects.filter(pk__in=_ids(queryset))
        .annotate(
            head=Subquery(head.values("name")[:1]),
            n_residents=Count("residents", filter=Q(residents__moved_out_on__isnull=True)),
        )
        .order_by("community_id", "address_order", "id")
    )
    for r in _values(
        households,
        "community_id",
        "community__name",
        "address",
        "head",
        "n_residents",
        "phone",
        "moved_out_on",
        "reviewed_on",
    ):
        yield r["community_id"], {**r, "community": r["community__name"]}


def _organisation_rows(queryset):
    organisations = Organisation.objects.filter(pk__in=_ids(queryset)).order_by(
        "community_id", "kind", "name", "id"
    )
    kinds = dict(OrgKind.choices)
    for r in _values(
        organisations,
        "community_id",
        "community__name",
        "name",
        "kind",
        "compound__name",
        "established_on",
        "registration_no",
        "contact_person",
        "contact_phone",
        "note",
    ):
        yield (
            r["community_id"],
            {
                "name": r["name"],
                # The import knows resident units and social organisations only (written by
                # their label); a re-import refuses rows of the other kinds.
                "kind": r["kind"],
                "kind_label": str(kinds.get(r["kind"], r["kind"])),
                "compound": r["compound__name"],
                "established_on": r["established_on"],
                "registration_no": r["registration_no"],
                "contact_person": r["contact_person"],
                "contact_phone": r["contact_phone"],
                "note": r["note"],
                "community": r["community__name"],
            },
        )


COMMUNITY = ("community", gettext_lazy("社区"))

SPECIAL_GROUPS = LedgerExport(
    model="specialgroupmember",
    title=gettext_lazy("特殊群体台帐"),
    perm="communities.view_specialgroupmember",
    spec="special_groups",
    extra=(("phone", gettext_lazy("联系电话")), ("address", gettext_lazy("地址")), COMMUNITY),
    masks={"id_number": rules.mask_id, "phone": rules.mask_phone},
    rows=_special_group_rows,
)
VOLUNTEERS = LedgerExport(
    model="volunteer",
    title=gettext_lazy("志愿者名册"),
    perm="communities.view_volunteer",
    spec="volunteers",
    extra=(
        ("n_services", gettext_lazy("服务次数")),
        ("total_hours", gettext_lazy("服务总时长（小时）")),
        COMMUNITY,
    ),
    masks={"phone": rules.mask_phone},
    rows=_volunteer_rows,
)
VOLUNTEER_SERVICES = LedgerExport(
    model="volunteerservice",
    title=gettext_lazy("志愿服务记录"),
    perm="communities.view_volunteerservice",
    spec="volunteer_services",
    extra=(COMMUNITY,),
    masks={"phone": rules.mask_phone},
    rows=_volunteer_service_rows,
)
HOUSEHOLDS = LedgerExport(
    model="household",
    title=gettext_lazy("住户台帐"),
    perm="communities.view_household",
    spec=None,
    extra=(
        COMMUNITY,
        ("address", gettext_lazy("地址")),
        ("head", gettext_lazy("户主")),
        ("n_residents", gettext_lazy("在册人数")),
        ("phone", gettext_lazy("联系电话")),
        ("moved_out_on", gettext_lazy("迁出日期")),
        ("reviewed_on", gettext_lazy("最近复核日期")),
    ),
    masks={"phone": rules.mask_phone},
    rows=_household_rows,
)
ORGANISATIONS = LedgerExport(
    model="organisation",
    title=gettext_lazy("驻社区单位和社会组织台帐"),
    perm="communities.view_organisation",
    spec="organisations",
    extra=(("kind_label", gettext_lazy("类别名称")), COMMUNITY),
    masks={"contact_phone": rules.mask_phone},
    rows=_organisation_rows,
)

LEDGERS = {
    "special_groups": SPECIAL_GROUPS,
    "volunteers": VOLUNTEERS,
    "volunteer_services": VOLUNTEER_SERVICES,
    "households": HOUSEHOLDS,
    "organisations": ORGANISATIONS,
}


def _plain_workbook(ledger: LedgerExport, rows) -> Workbook:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(str(ledger.title))
    sheet.append(header_cells(sheet, [header for _key, header in ledger.extra]))
    for values in rows:
        sheet.append([safe_cell(values.get(key)) for key, _header in ledger.extra])
    return wb


def ledger_export(
    *, ledger: LedgerExport, user, queryset: QuerySet, filters: str, reveal=False, stream, ip=None
) -> int:
    """Write the rows of `queryset` (the list's filtered queryset) to `stream` as .xlsx and
    log the export; return the number of rows. `filters` is the filter as the log shows it.
    PermissionDenied when full values are asked without reveal_personal anywhere."""
    revealable = reveal_scope(user, reveal)
    queryset = permitted(queryset, user, ledger.perm)
    per_community: dict[int, list] = {}  # id -> [rows, revealed?]

    def rows():
        for community_id, values in ledger.rows(queryset):
            full = reveal and (revealable is None or community_id in revealable)
            stat = per_community.setdefault(community_id, [0, full])
            stat[0] += 1
            if not full:
                for key, mask in ledger.masks.items():
                    values[key] = mask(values.get(key) or "")
            yield values

    if ledger.spec is None:
        wb = _plain_workbook(ledger, rows())
    else:
        wb = ledger_workbook(get_spec(ledger.spec), rows(), extra=ledger.extra)
    wb.save(stream)
    export_logged(
        user=user,
        model=ledger.model,
        per_community=per_community,
        filters=filters,
        fields=tuple(ledger.masks),
        ip=ip,
    )
    return sum(n for n, _full in per_community.values())


def ledger_export_response(request, *, ledger: LedgerExport, queryset, filters: str, reveal=False):
    """The export as a download (a temporary file, then streamed)."""
    name = _("%(title)s_%(day)s.xlsx") % {
        "title": ledger.title,
        "day": f"{timezone.localdate():%Y%m%d}",
    }
    return file_response(
        lambda stream: ledger_export(
            ledger=ledger,
            user=request.user,
            queryset=queryset,
            filters=filters,
            reveal=reveal,
            stream=stream,
            ip=client_ip(request),
        ),
        name=name,
    )


def spec_export_response(kind: str, *, user, community=None):
    """ImportSpec.export_response of the small ledgers (the import page's 导出): the records
    of `community` (or all in scope) that the import takes, masked, logged."""
    ledger = LEDGERS[kind]
    model = {
        "special_groups": SpecialGroupMember,
        "volunteers": Volunteer,
        "volunteer_services": VolunteerService,
        "organisations": Organisation,
    }[kind]
    queryset = model.objects.all()
    if model is Organisation:
        queryset = queryset.filter(kind__in=(OrgKind.RESIDENT_UNIT, OrgKind.SOCIAL_ORG))
    filters = _("无筛选")
    if community is not None:
        queryset = queryset.filter(community=community)
        filters = _("社区=%(id)s") % {"id": community.pk}
    name = f"{ledger.title}_{timezone.localdate():%Y%m%d}.xlsx"
    return file_response(
        lambda stream: ledger_export(
            ledger=ledger, user=user, queryset=queryset, filters=filters, stream=stream
        ),
        name=name,
    )
