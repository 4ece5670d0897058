"""What each role may do, model by model (issue #3 §4: the permission matrix).

Scoping (core.scoping) decides *which communities* a user reaches; this table decides
*which actions* a role has there. A permission is a Django codename ("communities.change_unit"),
so the admin, DRF and templates use the ordinary `user.has_perm(...)` machinery
(core.backends.RoleBackend answers it).
"""

from core.models import Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)
EDIT = (VIEW, ADD, CHANGE)

# Model groups (app_label.model_name).
STREET_REGISTRY = (
    "communities.street",
    "communities.community",
    "communities.communitydecision",
    "communities.accessrecord",
    "communities.accesscheck",
    "core.policyprofile",
    "core.roleassignment",
)
ORGANISATION = (
    "communities.organisation",
    "communities.membership",
    "communities.subcommittee",
    "communities.compound",
)
GRID = (
    "communities.residentsgroup",
    "communities.buildinggroup",
    "communities.building",
    "communities.unit",
)
FACILITIES = ("communities.facility",)
STAFFING = (
    "staffing.worker",
    "staffing.postterm",
    "staffing.staffingreason",
    "staffing.trainingrecord",
    "staffing.studysession",
    "staffing.evaluation",
    "staffing.partycheckup",
    "staffing.handover",
    "staffing.payroll",
    "staffing.payrollline",
)
READ_ONLY = ("core.compliancefinding", "core.taskheartbeat")
# Reminders are made by the sweeps; a user may only mark one done (change).
REMINDERS = ("core.reminder",)

EVERYTHING = STREET_REGISTRY + ORGANISATION + GRID + FACILITIES + STAFFING + READ_ONLY + REMINDERS


def _grant(models, actions):
    return {(m, a) for m in models for a in actions}


_view_all = _grant(EVERYTHING, (VIEW,))

ROLE_GRANTS: dict[str, set[tuple[str, str]]] = {
    Role.STREET_ADMIN: _grant(STREET_REGISTRY + ORGANISATION + GRID + FACILITIES + STAFFING, ALL)
    | _grant(READ_ONLY, (VIEW,))
    | _grant(REMINDERS, (VIEW, CHANGE))
    | _grant(("auth.user",), EDIT),
    Role.SOCIAL_AFFAIRS_CHIEF: _view_all | _grant(("communities.accesscheck",), EDIT),
    Role.DEPUTY_DIRECTOR: _view_all | _grant(("communities.accesscheck",), EDIT),
    Role.STREET_PRINCIPAL: set(_view_all),
    Role.SUPERVISION_MEMBER: set(_view_all),
    Role.PARTY_SECRETARY: _view_all - _grant(("core.roleassignment",), (VIEW,))
    | _grant(ORGANISATION + GRID + FACILITIES + STAFFING, ALL)
    | _grant(REMINDERS, (CHANGE,)),
    Role.COMMITTEE_DIRECTOR: _view_all - _grant(("core.roleassignment",), (VIEW,))
    | _grant(ORGANISATION + GRID + FACILITIES + STAFFING, ALL)
    | _grant(REMINDERS, (CHANGE,)),
    Role.DEPUTY: _view_all - _grant(("core.roleassignment",), (VIEW,))
    | _grant(ORGANISATION + GRID + FACILITIES + STAFFING, EDIT)
    | _grant(REMINDERS, (CHANGE,)),
    Role.GRID_WORKER: _grant(
        ("communities.community", "communities.street") + GRID + READ_ONLY[:1], (VIEW,)
    )
    | _grant(GRID, (CHANGE,)),
}
for _role in (Role.MEMBER, Role.ACCOUNTANT, Role.CASHIER, Role.ATTENDANCE_CLERK):
    ROLE_GRANTS[_role] = _view_all - _grant(("core.roleassignment",), (VIEW,))

# STAFF-2: data a street keeps for all its communities (last year's average wage, social-
# insurance rates). Edited by street roles of that street only (checked per street in
# staffing.payroll); read by every role that reads staffing.
STREET_STAFFING = ("staffing.averagewage", "staffing.insurancerate")
# STAFF-2 (002 四(二); FIN-9 003 十四(五) 标准由街道制定): custom actions on the monthly payroll
# sheet. The community's heads submit it; the street's principal and social-affairs chief
# (the street's section for workers' pay, as in ATT-2) approve it. Never a community role.
PAYROLL_SUBMIT = ("staffing.payroll", "submit")
PAYROLL_APPROVE = ("staffing.payroll", "approve")
for _role, _grants in ROLE_GRANTS.items():
    if ("staffing.worker", VIEW) in _grants:
        _grants |= _grant(STREET_STAFFING, (VIEW,))
ROLE_GRANTS[Role.STREET_ADMIN] |= _grant(STREET_STAFFING, ALL)
ROLE_GRANTS[Role.SOCIAL_AFFAIRS_CHIEF] |= _grant(STREET_STAFFING, EDIT) | {PAYROLL_APPROVE}
ROLE_GRANTS[Role.STREET_PRINCIPAL] |= {PAYROLL_APPROVE}
ROLE_GRANTS[Role.PARTY_SECRETARY] |= {PAYROLL_SUBMIT}
ROLE_GRANTS[Role.COMMITTEE_DIRECTOR] |= {PAYROLL_SUBMIT}

# ORG-13 / ORG-9 ledgers (issue #4). Every role that reads its community reads the ledgers,
# with ID numbers and phones masked; grid workers collect them (摸底), so they edit them.
# Special targets (特别对象) and full personal data are for the community's two heads and
# the street administrator only; the access log is the street administrator's.
LEDGERS = (
    "communities.household",
    "communities.resident",
    "communities.specialgroupmember",
    "communities.volunteer",
    "communities.volunteerservice",
)
SPECIAL_GROUP_TYPES = ("communities.specialgrouptype",)
SPECIAL_TARGETS = ("communities.specialtarget",)
PERSONAL_DATA_LOG = ("communities.personaldatalog",)
REVEAL_PERSONAL = ("communities.personal", "reveal")  # -> "communities.reveal_personal"
for _role, _grants in ROLE_GRANTS.items():
    if ("communities.community", VIEW) in _grants:
        _grants |= _grant(LEDGERS + SPECIAL_GROUP_TYPES, (VIEW,))
ROLE_GRANTS[Role.STREET_ADMIN] |= (
    _grant(LEDGERS + SPECIAL_GROUP_TYPES + SPECIAL_TARGETS, ALL)
    | _grant(PERSONAL_DATA_LOG, (VIEW,))
    | {REVEAL_PERSONAL}
)
for _role in (Role.PARTY_SECRETARY, Role.COMMITTEE_DIRECTOR):
    ROLE_GRANTS[_role] |= _grant(LEDGERS + SPECIAL_TARGETS, ALL) | {REVEAL_PERSONAL}
ROLE_GRANTS[Role.DEPUTY] |= _grant(LEDGERS, EDIT)
ROLE_GRANTS[Role.GRID_WORKER] |= _grant(LEDGERS, EDIT)

# FIN (issue #6). Whoever reads the community's staffing reads its finance; every community
# worker may file an expense claim (their own, changed only while a draft: finance.services).
# FIN-3 approvals: the committee director, then the street principal, then the street
# supervision committee's collective review; FIN-7 stamping and the monthly review are the
# supervision committee's. The accountant and the cashier never approve (003 十四(一)):
# finance.services refuses them even if they also hold an approving role.
FINANCE = (
    "finance.account",
    "finance.fundingallocation",
    "finance.budget",
    "finance.budgetline",
    "finance.allowancestandard",
    "finance.income",
    "finance.expenseclaim",
    "finance.claimattachment",
    "finance.approvalrecord",
    "finance.reviewvote",
    "finance.payment",
    "finance.journalentry",
    "finance.monthlyreconciliation",
    "finance.quarterlystatement",
)
FIN_CLAIMS = ("finance.expenseclaim", "finance.claimattachment")
FIN_STREET = ("finance.account", "finance.fundingallocation", "finance.allowancestandard")
FIN_BUDGET = ("finance.budget", "finance.budgetline")
FIN_BOOKS = ("finance.income", "finance.monthlyreconciliation", "finance.journalentry")
FIN_DIRECTOR_APPROVE = ("finance.expenseclaim", "director_approve")
FIN_STREET_APPROVE = ("finance.expenseclaim", "street_approve")
FIN_COLLECTIVE_REVIEW = ("finance.expenseclaim", "collective_review")
FIN_PAY = ("finance.expenseclaim", "pay")
FIN_BUDGET_APPROVE = ("finance.budget", "approve")
FIN_STAMP = ("finance.quarterlystatement", "stamp")
FIN_PUBLISH = ("finance.quarterlystatement", "publish")
FIN_MONTHLY_REVIEW = ("finance.monthlyreconciliation", "review")
for _role, _grants in ROLE_GRANTS.items():
    if ("staffing.worker", VIEW) in _grants:
        _grants |= _grant(FINANCE, (VIEW,))
FIN_CLAIMANTS = (
    Role.PARTY_SECRETARY,
    Role.COMMITTEE_DIRECTOR,
    Role.DEPUTY,
    Role.MEMBER,
    Role.ACCOUNTANT,
    Role.CASHIER,
    Role.ATTENDANCE_CLERK,
    Role.GRID_WORKER,
)
for _role in FIN_CLAIMANTS:
    ROLE_GRANTS[_role] |= _grant(FIN_CLAIMS, EDIT)
ROLE_GRANTS[Role.STREET_ADMIN] |= _grant(FIN_STREET, ALL)
ROLE_GRANTS[Role.SOCIAL_AFFAIRS_CHIEF] |= _grant(("finance.allowancestandard",), EDIT)
ROLE_GRANTS[Role.STREET_PRINCIPAL] |= {FIN_STREET_APPROVE, FIN_BUDGET_APPROVE}
ROLE_GRANTS[Role.SUPERVISION_MEMBER] |= {FIN_COLLECTIVE_REVIEW, FIN_STAMP, FIN_MONTHLY_REVIEW}
ROLE_GRANTS[Role.COMMITTEE_DIRECTOR] |= (
    _grant(FIN_BUDGET, ALL)
    | _grant(FIN_BOOKS + ("finance.quarterlystatement",), EDIT)
    | {FIN_DIRECTOR_APPROVE, FIN_PUBLISH}
)
ROLE_GRANTS[Role.PARTY_SECRETARY] |= {FIN_PUBLISH}
ROLE_GRANTS[Role.ACCOUNTANT] |= _grant(
    FIN_BUDGET + FIN_BOOKS + ("finance.quarterlystatement",), EDIT
)
ROLE_GRANTS[Role.CASHIER] |= _grant(FIN_BOOKS + ("finance.payment",), EDIT) | {FIN_PAY}
# FIN-11 receipt-form register (票据收、缴、存), FIN-5 in-kind donations, FIN-8 paid services:
# read like the rest of finance; the accountant, the cashier and the committee director keep
# the register and the donations, the director also the paid services; the street
# administrator may do everything.
FIN_RECEIPTS = ("finance.receiptbatch", "finance.receipt", "finance.receipthandin")
FIN_IN_KIND = ("finance.inkinddonation", "finance.inkinddistribution")
FIN_PAID = ("finance.paidservice", "finance.paidservicerate")
for _role, _grants in ROLE_GRANTS.items():
    if ("finance.income", VIEW) in _grants:
        _grants |= _grant(FIN_RECEIPTS + FIN_IN_KIND + FIN_PAID, (VIEW,))
for _role in (Role.ACCOUNTANT, Role.CASHIER, Role.COMMITTEE_DIRECTOR):
    ROLE_GRANTS[_role] |= _grant(FIN_RECEIPTS + FIN_IN_KIND, EDIT)
ROLE_GRANTS[Role.COMMITTEE_DIRECTOR] |= _grant(FIN_PAID, ALL)
ROLE_GRANTS[Role.STREET_ADMIN] |= _grant(FIN_RECEIPTS + FIN_IN_KIND + FIN_PAID, ALL)

# Roles that use the Django admin; the others work in the worker portal only.
ADMIN_ROLES = frozenset(
    {
        Role.STREET_ADMIN,
        Role.SOCIAL_AFFAIRS_CHIEF,
        Role.DEPUTY_DIRECTOR,
        Role.STREET_PRINCIPAL,
        Role.SUPERVISION_MEMBER,
        Role.PARTY_SECRETARY,
        Role.COMMITTEE_DIRECTOR,
        Role.DEPUTY,
    }
)


def perms_for_role(role: str) -> frozenset[str]:
    """Django permission strings ("app.action_model") granted by one role."""
    return frozenset(
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, action in ROLE_GRANTS.get(role, ())
    )


# ATT (issue #8). Whoever reads the community's staffing reads its attendance and meetings.
# Every community worker signs in and asks for leave as themselves (attendance.services checks
# the worker linked to the user, not a grant). ATT-1: the designated clerk (003 十三(一)
# 指定专人) corrects the register and keeps the monthly sheet; ATT-2: the committee director
# approves short leave, the street's social-affairs chief and deputy director in charge the
# long one (003 十三(三)); ATT-3/4: the director records criticisms, the street confirms or
# dismisses a "treated as resignation" case; ATT-5: director and clerk sign, the director
# submits. Local calendar exceptions are the street's.
ATTENDANCE = (
    "attendance.calendarexception",
    "attendance.officehours",
    "attendance.attendancerecord",
    "attendance.leave",
    "attendance.leaveapproval",
    "attendance.criticism",
    "attendance.attendancecase",
    "attendance.monthlysheet",
)
MEETINGS = (
    "meetings.assemblyquota",
    "meetings.sitting",
    "meetings.sittingseat",
    "meetings.motion",
    "meetings.vote",
    "meetings.meeting",
    "meetings.meetingattendance",
    "meetings.chronicleentry",
    "meetings.disciplinerecord",
    "meetings.workplan",
)
# MEET-3/4 (003 六): the committee's regular meetings, their attendance, minutes and 大事记.
MEETINGS_MINUTES = ("meetings.meeting", "meetings.meetingattendance", "meetings.chronicleentry")
ATT_DIRECTOR_APPROVE = ("attendance.leave", "director_approve")
ATT_CHIEF_APPROVE = ("attendance.leave", "chief_approve")
ATT_DEPUTY_REVIEW = ("attendance.leave", "deputy_review")
ATT_CASE_DECIDE = ("attendance.attendancecase", "decide")
ATT_SIGN_CLERK = ("attendance.monthlysheet", "sign_clerk")
ATT_SIGN_DIRECTOR = ("attendance.monthlysheet", "sign_director")
ATT_SUBMIT = ("attendance.monthlysheet", "submit")
for _role, _grants in ROLE_GRANTS.items():
    if ("staffing.worker", VIEW) in _grants:
        _grants |= _grant(ATTENDANCE + MEETINGS, (VIEW,))
ROLE_GRANTS[Role.ATTENDANCE_CLERK] |= (
    _grant(("attendance.attendancerecord",), (VIEW, CHANGE))
    | _grant(("attendance.monthlysheet",), EDIT)
    | {ATT_SIGN_CLERK}
)
ROLE_GRANTS[Role.COMMITTEE_DIRECTOR] |= (
    _grant(("attendance.officehours", "attendance.criticism", "attendance.monthlysheet"), EDIT)
    | {ATT_DIRECTOR_APPROVE, ATT_SIGN_DIRECTOR, ATT_SUBMIT}
    | _grant(MEETINGS, EDIT)
)
ROLE_GRANTS[Role.PARTY_SECRETARY] |= _grant(("attendance.criticism",), EDIT) | _grant(
    MEETINGS, EDIT
)
ROLE_GRANTS[Role.DEPUTY] |= _grant(MEETINGS, EDIT)
ROLE_GRANTS[Role.MEMBER] |= _grant(MEETINGS_MINUTES, EDIT)
ROLE_GRANTS[Role.SOCIAL_AFFAIRS_CHIEF] |= {ATT_CHIEF_APPROVE, ATT_CASE_DECIDE}
ROLE_GRANTS[Role.DEPUTY_DIRECTOR] |= {ATT_DEPUTY_REVIEW, ATT_CASE_DECIDE}
ROLE_GRANTS[Role.STREET_ADMIN] |= _grant(
    ("attendance.calendarexception", "attendance.officehours"), ALL
)

# DISC (issue #7). Every role that reads its community reads its disclosure items and the
# residents' questions. DISC-3 (003 四(五) 提请居委会党组织和居委会成员核准): the party
# secretary approves for the party organisation, the committee director for the committee;
# both (and the deputy) draft, publish, archive and answer residents' questions (DISC-4).
# FIN-7 (003 十四(七)): the street supervision committee stamps financial disclosures (a street
# role: affairs_disclosure.services checks it per street). The street administrator may do
# everything.
DISCLOSURE = (
    "affairs_disclosure.disclosureitem",
    "affairs_disclosure.disclosureattachment",
    "affairs_disclosure.disclosureapproval",
    "affairs_disclosure.residentquestion",
)
DISC_ITEMS = ("affairs_disclosure.disclosureitem", "affairs_disclosure.disclosureattachment")
DISC_QUESTIONS = ("affairs_disclosure.residentquestion",)
DISC_APPROVE_PARTY = ("affairs_disclosure.disclosureitem", "approve_party")
DISC_APPROVE_COMMITTEE = ("affairs_disclosure.disclosureitem", "approve_committee")
DISC_STAMP = ("affairs_disclosure.disclosureitem", "stamp")
DISC_PUBLISH = ("affairs_disclosure.disclosureitem", "publish")
DISC_ARCHIVE = ("affairs_disclosure.disclosureitem", "archive")
for _role, _grants in ROLE_GRANTS.items():
    if ("communities.community", VIEW) in _grants:
        _grants |= _grant(DISCLOSURE, (VIEW,))
ROLE_GRANTS[Role.STREET_ADMIN] |= _grant(DISC_ITEMS + DISC_QUESTIONS, ALL) | {
    DISC_APPROVE_PARTY,
    DISC_APPROVE_COMMITTEE,
    DISC_STAMP,
    DISC_PUBLISH,
    DISC_ARCHIVE,
}
ROLE_GRANTS[Role.SUPERVISION_MEMBER] |= {DISC_STAMP}
ROLE_GRANTS[Role.PARTY_SECRETARY] |= (
    _grant(DISC_ITEMS, ALL)
    | _grant(DISC_QUESTIONS, (VIEW, CHANGE))
    | {DISC_APPROVE_PARTY, DISC_PUBLISH, DISC_ARCHIVE}
)
ROLE_GRANTS[Role.COMMITTEE_DIRECTOR] |= (
    _grant(DISC_ITEMS, ALL)
    | _grant(DISC_QUESTIONS, (VIEW, CHANGE))
    | {DISC_APPROVE_COMMITTEE, DISC_PUBLISH, DISC_ARCHIVE}
)
ROLE_GRANTS[Role.DEPUTY] |= _grant(DISC_ITEMS, EDIT) | _grant(DISC_QUESTIONS, (VIEW, CHANGE))
