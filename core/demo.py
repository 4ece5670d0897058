"""The demo street (`python manage.py seed_demo`): one synthetic 街道 with six communities.

Everything is invented: the street, communities, roads, compounds, companies and people.
Names come from a seeded random generator (the same street every time), phone numbers from
one sequential block (139 0431 xxxx) and no ID numbers are stored. The street uses the
`default` profile; two communities use the 003 (Changchun) preset to show profiles differ.
Dates that must stay current (terms, yearly access checks, joint meetings) are relative to
the day of seeding; founding dates are fixed.

Most rules pass; a few communities are deliberately out of line so the compliance report
has something to show (the `Spec` fields marked "finding"):

    澜苑 ORG-2 party committee of 4; ORG-6 5,600 households
    桐荫 ORG-12 office 140 m² (< 150 m² for an old community); ORG-5 units short of households
    松涛 ORG-3 committee of 5 where 1,650 households expect 6; ORG-12 checklist gaps;
         ORG-11 an access not checked last year
    青枫 ORG-4 no 公共卫生委员会; ORG-11 an access under rectification
    晓光 ORG-5 three buildings without a 楼栋长; ORG-8 a compound without owners' committee

Staffing (workers, terms, training, study, check-ups, evaluations, a handover) comes from
staffing/demo.py, with its own short list of deliberate findings; finance, attendance and
meetings from finance/demo.py, attendance/demo.py and meetings/demo.py, through their services.

Writes go straight through the ORM (seed data); role grants go through
core.services.role_assign so the django-guardian grants and is_staff are right.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from communities import models as m
from communities.models import AreaType, OrgKind, Position, RoomType, SubCommitteeKind
from core.models import PolicyProfile, Role

DEMO_PASSWORD = "Demo@2026!"
STREET = {
    "name": "锦澜街道办事处",
    "district": "朝阳区",
    "city": "长春市",
    "address": "长春市朝阳区锦澜大街188号",
    "phone": "0431-85000100",
}
AUTHORITY = "长春市朝阳区人民政府"
SEED = 20260101

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶余潘杜夏钟汪田任姜范方石姚谭廖邹金陆郝孔白崔康毛邱秦江史顾侯邵孟段雷"
)
GIVEN_1 = "建志国海晓春秀玉淑丽桂文明永德立红金亚雪晶慧佳俊宏振凤静艳丹庆树长思"
GIVEN_2 = "华军平明伟芳英霞敏杰涛强磊斌勇刚燕娟琳颖婷超鹏飞宇萍梅兰荣辉君波云"
CN_DIGITS = "零一二三四五六七八九十"


def person_name(n: int) -> tuple[str, str]:
    """A Chinese (surname, given name) for sequence number n: deterministic, for factories."""
    given = GIVEN_1[(n * 7) % len(GIVEN_1)] + GIVEN_2[(n * 11) % len(GIVEN_2)]
    return SURNAMES[n % len(SURNAMES)], given


def _cn(n: int) -> str:
    return CN_DIGITS[n] if n <= 10 else f"十{CN_DIGITS[n - 10]}"


@dataclass(frozen=True)
class Spec:
    key: str  # login prefix (c1, c2, ...)
    name: str
    road: str
    area_type: str
    households: int
    founded: dt.date
    doc_no: str
    groups: int  # residents' groups (grid); capped to keep the seed small
    compounds: tuple[str, ...]
    profile: str = "default"
    occupancy: int | None = None
    move_in: dt.date | None = None
    party: int = 7  # current party committee members (finding: 4)
    committee: int | None = None  # None: the ORG-3 expected size (finding: fewer)
    office_area: str = "180"  # finding: below the profile minimum
    missing_subcommittees: tuple[str, ...] = ()  # finding
    missing_rooms: tuple[str, ...] = ()  # finding (ORG-12 checklist)
    unmanaged_compound: bool = False  # finding: last compound without property/owners
    building_leader_gaps: int = 0  # finding: buildings without 楼栋长
    grid_shortfall: int = 0  # finding: households not registered in units
    access_issue: str = ""  # finding: "unchecked" | "rectify"; "revoked" is history


COMMUNITIES = (
    Spec("c1", "锦湖社区", "锦湖路", AreaType.OLD, 3200, dt.date(2009, 6, 18),
         "朝府发〔2009〕31号", 6, ("锦湖苑", "锦湖花园", "电业家属院"), office_area="186"),
    Spec("c2", "澜苑社区", "澜苑街", AreaType.NEW, 5600, dt.date(2019, 4, 12),
         "朝府发〔2019〕12号", 8, ("澜苑一期", "澜苑二期", "澜苑三期"), occupancy=78,
         move_in=dt.date(2017, 9, 1), party=4, office_area="360"),
    Spec("c3", "桐荫社区", "桐荫路", AreaType.OLD, 2400, dt.date(2004, 11, 5),
         "朝府发〔2004〕45号", 5, ("桐荫里", "纺织厂宿舍"), profile="seed-003-changchun",
         party=5, office_area="140", grid_shortfall=86),
    Spec("c4", "松涛社区", "松涛街", AreaType.OLD, 1650, dt.date(2011, 3, 22),
         "朝府发〔2011〕8号", 4, ("松涛园",), party=5, committee=5, office_area="160",
         missing_rooms=(RoomType.REHAB_STATION, RoomType.SCIENCE_BOARD),
         access_issue="unchecked"),
    Spec("c5", "青枫社区", "青枫大路", AreaType.NEW, 4100, dt.date(2021, 7, 16),
         "朝府发〔2021〕19号", 7, ("青枫悦府", "青枫雅苑"), profile="seed-003-changchun",
         occupancy=62, move_in=dt.date(2020, 5, 1), office_area="320",
         missing_subcommittees=(SubCommitteeKind.PUBLIC_HEALTH,), access_issue="rectify"),
    Spec("c6", "晓光社区", "晓光胡同", AreaType.OLD, 2700, dt.date(2007, 8, 30),
         "朝府发〔2007〕26号", 6, ("晓光小区", "晓光东苑", "晓光老街片区"), party=6,
         office_area="210", unmanaged_compound=True, building_leader_gaps=3,
         access_issue="revoked"),
)  # fmt: skip

PROPERTY_COMPANIES = (
    "长春栖桐物业服务有限公司",
    "吉林岚岫物业管理有限公司",
    "长春禾序物业服务有限公司",
    "长春朗境物业服务有限公司",
)
SOCIAL_ORGS = ("夕阳红秧歌队", "志愿者服务队", "邻里互助会", "书画协会", "老年合唱团", "读书会")
RESIDENT_UNITS = ("小学", "派出所", "幼儿园", "农贸市场", "邮政所")
DEPARTMENTS = (  # (department, tasks placed on the community, funding per year, staff)
    ("朝阳区人力资源和社会保障局", "就业创业服务、社保待遇资格认证", 12000, 1),
    ("朝阳区卫生健康局", "家庭医生签约、老年人健康档案", 8000, 0),
    ("朝阳区市场监督管理局", "食品安全网格巡查", 5000, 0),
    ("朝阳区司法局", "人民调解指导、法律援助咨询", 6000, 0),
    ("朝阳区退役军人事务局", "退役军人服务站", 10000, 1),
    ("朝阳区应急管理局", "安全生产与防灾减灾宣传", 4000, 0),
)
# 五室三站两栏一校一场所 (002 四(六)) with a service hall (001 第二十五条): area ranges, m².
ROOMS = (
    (RoomType.POLICE, 20, 30),
    (RoomType.ACTIVITY, 80, 150),
    (RoomType.LIBRARY, 40, 60),
    (RoomType.CONVENIENCE, 30, 50),
    (RoomType.FAMILY_PLANNING_STATION, 20, 30),
    (RoomType.HEALTH_STATION, 60, 120),
    (RoomType.REHAB_STATION, 30, 50),
    (RoomType.AFFAIRS_BOARD, 4, 8),
    (RoomType.SCIENCE_BOARD, 4, 6),
    (RoomType.SCHOOL, 60, 100),
    (RoomType.FITNESS, 300, 600),
    (RoomType.SERVICE_HALL, 80, 150),
)
# Community roles get logins in the first two communities: (role, who in the cast).
COMMUNITY_LOGINS = (
    (Role.PARTY_SECRETARY, "secretary"),
    (Role.COMMITTEE_DIRECTOR, "director"),
    (Role.DEPUTY, "deputy"),
    (Role.MEMBER, "member"),
    (Role.ACCOUNTANT, "accountant"),
    (Role.CASHIER, "cashier"),
    (Role.ATTENDANCE_CLERK, "clerk"),
    (Role.GRID_WORKER, "grid"),
)
STREET_LOGINS = (
    ("street_admin", Role.STREET_ADMIN),
    ("street_social_chief", Role.SOCIAL_AFFAIRS_CHIEF),
    ("street_deputy", Role.DEPUTY_DIRECTOR),
    ("street_principal", Role.STREET_PRINCIPAL),
    ("street_supervisor", Role.SUPERVISION_MEMBER),
)
LOGIN_COMMUNITIES = 2
# Flush order of the bulk inserts: parents before children.
ORDER = (
    m.CommunityDecision,
    m.Compound,
    m.Organisation,
    m.Membership,
    m.SubCommittee,
    m.ResidentsGroup,
    m.BuildingGroup,
    m.Building,
    m.Unit,
    m.Facility,
    m.AccessRecord,
    m.AccessCheck,
)


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` in `parts` positive near-equal shares (±15%) that sum exactly to `total`."""
    weights = [rng.uniform(0.85, 1.15) for _ in range(parts)]
    shares = [max(1, int(total * w / sum(weights))) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


class _Builder:
    def __init__(self, today: dt.date):
        self.rng = random.Random(SEED)
        self.today = today
        self.year = today.year
        self.rows: dict[type, list] = defaultdict(list)
        self.used_names: set[str] = set()
        self.phone_no = 0
        self.term_start = dt.date(self.year - 2, 6, 18)
        self.term_end = dt.date(self.year + 3, 6, 17)

    # -- people -------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        while True:
            surname = self.rng.choice(SURNAMES)
            given = self.rng.choice(GIVEN_1) + self.rng.choice(GIVEN_2)
            if self.rng.random() < 0.2:
                given = self.rng.choice(GIVEN_2)
            if surname + given not in self.used_names:
                self.used_names.add(surname + given)
                return surname, given

    def name(self) -> str:
        return "".join(self.person())

    def phone(self) -> str:
        self.phone_no += 1
        return f"1390431{self.phone_no:04d}"

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def org(self, community, kind, name, **kwargs):
        return self.add(m.Organisation(community=community, kind=kind, name=name, **kwargs))

    def seat(self, org, position, person_name=None, **kwargs):
        kwargs.setdefault("started_on", self.term_start)
        return self.add(
            m.Membership(
                community=org.community,
                organisation=org,
                person_name=person_name or self.name(),
                position=position,
                phone=self.phone(),
                **kwargs,
            )
        )

    # -- one community ------------------------------------------------------------------

    def community(self, street, spec: Spec, profiles) -> dict:
        """Build one community in memory; return its cast (seats by login purpose)."""
        rng, year = self.rng, self.year
        c = m.Community.objects.create(
            street=street,
            name=spec.name,
            code=f"220104901{int(spec.key[1:]):03d}",  # 901: a street code no office uses
            households=spec.households,
            population=int(spec.households * rng.uniform(2.5, 2.9)),
            area_type=spec.area_type,
            occupancy_pct=spec.occupancy,
            move_in_date=spec.move_in,
            founded_on=spec.founded,
            founding_doc_no=spec.doc_no,
            address=f"长春市朝阳区{spec.road}{rng.randint(10, 199)}号",
            phone=f"0431-8500{int(spec.key[1:]) + 100:04d}",
            office_hours="周一至周五 8:30—17:00，周六上午值班",
            profile=profiles[spec.profile],
        )
        self.add(
            m.CommunityDecision(
                community=c,
                kind=m.DecisionKind.CREATE,
                decided_on=spec.founded,
                authority=AUTHORITY,
                doc_no=spec.doc_no,
                filed_on=spec.founded + dt.timedelta(days=rng.randint(15, 40)),
                households_after=spec.households,
                note="设立社区，报市民政部门备案（ORG-6）",
            )
        )
        if spec.households > 4500:
            decided = dt.date(year - 2, 3, 20)
            self.add(
                m.CommunityDecision(
                    community=c,
                    kind=m.DecisionKind.RESIZE,
                    decided_on=decided,
                    authority=AUTHORITY,
                    doc_no=f"朝府发〔{decided.year}〕27号",
                    filed_on=decided + dt.timedelta(days=21),
                    households_after=spec.households,
                    note="新建片区交付，调整社区规模；拟适时拆分设立新社区",
                )
            )
        cast = self._organisations(c, spec)
        compounds = self._compounds(c, spec, cast)
        cast["grid"] = self._grid(c, spec, compounds)
        self._facilities(c, spec)
        self._access(c, spec)
        from staffing.demo import build_staffing

        workers = build_staffing(self, c, spec, cast)
        return {"community": c, "cast": cast, "workers": workers}

    def _organisations(self, c, spec: Spec) -> dict:
        short, year = spec.name.removesuffix("社区"), self.year
        term = {"established_on": self.term_start, "term_ends_on": self.term_end}
        committee = self.org(c, OrgKind.COMMITTEE, f"{spec.name}居民委员会", **term)
        size = spec.committee or max(5, min(9, math.ceil(spec.households / 300)))
        seats = [self.seat(committee, Position.DIRECTOR, selection="居民直接选举")]
        seats.append(self.seat(committee, Position.DEPUTY_DIRECTOR, selection="居民直接选举"))
        seats += [
            self.seat(committee, Position.MEMBER, selection="居民直接选举") for _ in range(size - 2)
        ]
        director, deputy, members = seats[0], seats[1], seats[2:]

        party = self.org(c, OrgKind.PARTY, f"中共{spec.name}委员会", **term)
        secretary = self.seat(party, Position.SECRETARY, selection="两推一选")
        # Cross-appointment (STAFF-9): the director is deputy secretary, members sit on both.
        self.seat(party, Position.DEPUTY_SECRETARY, director.person_name, selection="两推一选")
        for seat in members[: spec.party - 2]:
            self.seat(party, Position.MEMBER, seat.person_name, selection="两推一选")
        if spec.party < 5:  # the seat left empty when a member moved away
            self.seat(
                party, Position.MEMBER, ended_on=dt.date(year - 1, 11, 30), selection="两推一选"
            )

        assembly = self.org(c, OrgKind.ASSEMBLY, f"{spec.name}居民代表会议", **term)
        for _ in range(spec.groups * 2):
            self.seat(assembly, Position.REPRESENTATIVE, selection="居民小组推选")
        council = self.org(c, OrgKind.COUNCIL, f"{spec.name}议事会", **term)
        self.seat(council, Position.CHAIR, secretary.person_name, selection="推选")
        for _ in range(4):
            self.seat(council, Position.MEMBER, selection="推选")

        for i, label in enumerate(self.rng.sample(SOCIAL_ORGS, 3)):
            leader = self.name()
            org = self.org(
                c,
                OrgKind.SOCIAL_ORG,
                f"{short}{label}",
                established_on=dt.date(year - 4 + i, 5, 1 + i),
                registration_no=f"朝社组备〔{year - 4 + i}〕{self.rng.randint(10, 99)}号",
                contact_person=leader,
                contact_phone=self.phone(),
            )
            self.seat(org, Position.LEADER, leader)
        for label in self.rng.sample(RESIDENT_UNITS, self.rng.randint(2, 3)):
            self.org(c, OrgKind.RESIDENT_UNIT, f"{short}{label}", contact_person=self.name())

        kinds = [k for k in SubCommitteeKind if k not in spec.missing_subcommittees]
        convenors = [deputy, *members]
        for i, kind in enumerate(kinds):
            self.add(
                m.SubCommittee(
                    community=c,
                    kind=kind,
                    convenor=convenors[i % len(convenors)].person_name,
                    established_on=self.term_start,
                )
            )
        return {
            "secretary": secretary,
            "director": director,
            "deputy": deputy,
            "member": members[0],
            "accountant": members[1],
            "cashier": members[2],
            "clerk": members[-1],
            "members": members,
        }

    def _compounds(self, c, spec: Spec, cast) -> list:
        compounds = []
        for i, name in enumerate(spec.compounds):
            unmanaged = spec.unmanaged_compound and i == len(spec.compounds) - 1
            compound = self.add(
                m.Compound(
                    community=c,
                    name=name,
                    has_professional_property=not unmanaged,
                    # 004 二(四)4: a named person; 001 第二十四条: assigned staff if unmanaged
                    property_manager_name=cast["members"][i % len(cast["members"])].person_name,
                    joint_meeting_last_held=self.today - dt.timedelta(self.rng.randint(7, 80)),
                    property_disclosure_posted=not unmanaged,
                )
            )
            compounds.append(compound)
            if unmanaged:
                continue  # 弃管老旧片区: no owners' committee, no property company (ORG-8)
            since = dt.date(self.year - self.rng.randint(1, 4), self.rng.randint(1, 12), 10)
            owners = self.org(
                c,
                OrgKind.OWNERS_COMMITTEE,
                f"{name}业主委员会",
                compound=compound,
                established_on=since,
                term_ends_on=dt.date(since.year + 5, since.month, 9),
                registration_no=f"锦澜业备〔{since.year}〕{self.rng.randint(1, 30)}号",
            )
            self.seat(owners, Position.CHAIR, started_on=since)
            for _ in range(4):
                self.seat(owners, Position.MEMBER, started_on=since)
            company = self.rng.choice(PROPERTY_COMPANIES)
            self.org(
                c,
                OrgKind.PROPERTY_COMPANY,
                f"{company}{name}项目部",
                compound=compound,
                contact_person=self.name(),
                contact_phone=self.phone(),
            )
            branch = self.org(c, OrgKind.PARTY_BRANCH, f"{name}党支部", compound=compound)
            self.seat(branch, Position.SECRETARY, selection="党员大会选举")
        return compounds

    def _grid(self, c, spec: Spec, compounds):
        """ORG-5: residents' group → building group → building → unit, with named leaders."""
        rng = self.rng
        per_group = split(spec.households - spec.grid_shortfall, spec.groups, rng)
        buildings, first_leader = [], None
        numbers = defaultdict(int)  # building numbers run per compound
        for g, households in enumerate(per_group):
            compound = compounds[g * len(compounds) // spec.groups]
            leader = self.person()
            first_leader = first_leader or leader
            group = self.add(
                m.ResidentsGroup(
                    community=c,
                    name=f"第{_cn(g + 1)}居民小组",
                    leader_name="".join(leader),
                    leader_phone=self.phone(),
                    households=households,
                    sort_order=g + 1,
                )
            )
            for b, bg_households in enumerate(split(households, 2, rng)):
                bg = self.add(
                    m.BuildingGroup(
                        community=c,
                        residents_group=group,
                        name=f"{_cn(g + 1)}组{b + 1}号楼群",
                        leader_name=self.name(),
                        leader_phone=self.phone(),
                        households=bg_households,
                        sort_order=b + 1,
                    )
                )
                for bld_households in split(bg_households, rng.randint(2, 4), rng):
                    numbers[compound.name] += 1
                    n = numbers[compound.name]
                    building = self.add(
                        m.Building(
                            community=c,
                            building_group=bg,
                            compound=compound,
                            name=f"{n}号楼",
                            leader_name=self.name(),
                            leader_phone=self.phone(),
                            households=bld_households,
                            sort_order=n,
                            address=f"{spec.road}{compound.name}{n}号楼",
                        )
                    )
                    buildings.append(building)
                    compound.households += bld_households
                    units = 3 if spec.area_type == AreaType.NEW else rng.randint(2, 3)
                    for u, unit_households in enumerate(split(bld_households, units, rng)):
                        self.add(
                            m.Unit(
                                community=c,
                                building=building,
                                name=f"{u + 1}单元",
                                leader_name=self.name(),
                                households=unit_households,
                                sort_order=u + 1,
                            )
                        )
        for building in rng.sample(buildings, spec.building_leader_gaps):
            building.leader_name = building.leader_phone = ""
        return first_leader

    def _facilities(self, c, spec: Spec):
        rng, new = self.rng, spec.area_type == AreaType.NEW
        ownership = "开发商无偿移交" if new else "街道办事处产权"
        handed_over = spec.move_in + dt.timedelta(days=rng.randint(10, 28)) if new else None
        rooms = [(RoomType.OFFICE, Decimal(spec.office_area))]
        rooms += [
            (t, Decimal(rng.randint(lo, hi))) for t, lo, hi in ROOMS if t not in spec.missing_rooms
        ]
        for room_type, area in rooms:
            self.add(
                m.Facility(
                    community=c,
                    name=str(room_type.label),
                    room_type=room_type,
                    area=area,
                    ownership=ownership,
                    certificate_no=(
                        f"吉（{spec.founded.year}）长春市不动产权第{rng.randint(1, 9999999):07d}号"
                    ),
                    handed_over_on=handed_over,
                    filed_with_civil_affairs=True,
                )
            )

    def _access(self, c, spec: Spec):
        """ORG-11: departments entering the community, each checked every year since."""
        rng, year = self.rng, self.year
        picks = rng.sample(DEPARTMENTS, rng.randint(2, 3))
        for i, (department, tasks, funding, staff) in enumerate(picks):
            last = i == len(picks) - 1
            approved = dt.date(year - 3 + i % 3, rng.randint(2, 9), rng.randint(1, 28))
            if last and spec.access_issue in ("unchecked", "revoked"):
                approved = dt.date(year - 3, 4, 8)
            access = self.add(
                m.AccessRecord(
                    community=c,
                    department=department,
                    approved_on=approved,
                    approval_doc_no=f"朝准入〔{approved.year}〕{rng.randint(1, 60)}号",
                    valid_until=dt.date(approved.year + 3, 12, 31),
                    tasks=tasks,
                    funding=Decimal(funding),
                    staff_assigned=staff,
                )
            )
            checked_years = list(range(approved.year, year))
            if last and spec.access_issue == "unchecked":
                checked_years = checked_years[:-1]  # last year's check never happened
            for check_year in checked_years:
                result, note = m.CheckResult.PASS, "年度检查合格，费随事转落实"
                if last and spec.access_issue == "rectify" and check_year == year - 1:
                    result, note = m.CheckResult.RECTIFY, "下沉经费未足额拨付，限期整改"
                    access.status = m.AccessStatus.RECTIFYING
                if last and spec.access_issue == "revoked" and check_year >= year - 2:
                    if check_year == year - 1:
                        break
                    result, note = m.CheckResult.FAIL, "整改不到位"
                    access.status = m.AccessStatus.REVOKED
                    access.revoked_on = dt.date(check_year + 1, 1, 15)
                    access.revoke_reason = f"{check_year} 年度检查整改不到位，撤销准入（ORG-11）"
                passed = result == m.CheckResult.PASS
                self.add(
                    m.AccessCheck(
                        community=c,
                        access=access,
                        year=check_year,
                        result=result,
                        community_rating=rng.randint(4, 5) if passed else rng.randint(2, 3),
                        rectify_by=dt.date(year, 12, 31) if result == "rectify" else None,
                        note=note,
                    )
                )

    def flush(self):
        from staffing.demo import ORDER as STAFFING_ORDER

        for model in ORDER + STAFFING_ORDER:
            model.objects.bulk_create(self.rows[model], batch_size=500)


def demo_exists() -> bool:
    return m.Street.objects.filter(name=STREET["name"]).exists()


def build_demo(*, today: dt.date | None = None) -> dict | None:
    """Create the demo street, its logins and a compliance run. Returns row counts, or None
    when the demo street already exists (nothing is changed then)."""
    from core.services import compliance_run, role_assign

    User = get_user_model()
    with transaction.atomic():
        # Two seeds at once: the second waits here, then finds the street and skips.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEED])
        if demo_exists():
            return None
        builder = _Builder(today or timezone.localdate())
        profiles = {p.code: p for p in PolicyProfile.objects.all()}
        street = m.Street.objects.create(default_profile=profiles["default"], **STREET)
        built = [builder.community(street, spec, profiles) for spec in COMMUNITIES]

        # One hash for every demo login: the password is published, and PBKDF2 is slow.
        password = make_password(DEMO_PASSWORD)

        def login(username, last_name, first_name, **extra):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"last_name": last_name, "first_name": first_name, **extra},
            )
            if created:
                user.password = password
                user.save(update_fields=["password"])
            return user

        grants = []
        for username, role in STREET_LOGINS:
            grants.append((login(username, *builder.person()), role, {"street": street}))
        for n, item in enumerate(built[:LOGIN_COMMUNITIES], start=1):
            cast = item["cast"]
            for role, who in COMMUNITY_LOGINS:
                if who == "grid":  # the grid worker leads the first residents' group
                    user = login(f"c{n}_{who}", *cast["grid"])
                    item["workers"]["".join(cast["grid"])].user = user
                else:
                    seat = cast[who]
                    user = login(f"c{n}_{who}", seat.person_name[0], seat.person_name[1:])
                    for other in builder.rows[m.Membership]:
                        same_person = other.person_name == seat.person_name
                        if same_person and other.community is seat.community:
                            other.user = user
                    person = item["workers"][seat.person_name]
                    person.user = person.user or user  # one login per worker
                grants.append((user, role, {"community": item["community"]}))
        login("admin", "", "系统管理员", is_staff=True, is_superuser=True)

        builder.flush()
        for user, role, where in grants:
            role_assign(by=None, user=user, role=role, **where)
        from staffing.demo import build_payrolls

        build_payrolls(street, User.objects.get(username="admin"), builder.today)
        from finance.demo import build_finance

        logins = {user.username: user for user, _role, _where in grants}
        logins["admin"] = User.objects.get(username="admin")
        build_finance(street, builder.today, logins)
        from attendance.demo import build_attendance
        from meetings.demo import build_meetings

        build_attendance(street, builder.today, logins)
        build_meetings(street, builder.today, logins)
        findings = compliance_run()
        from staffing.reminders import reminders_sweep

        reminders_sweep(today=builder.today)  # the inbox shows what is due from day one
    return {
        "street": street,
        "communities": len(built),
        "users": User.objects.filter(password=password).count(),  # every demo login
        "findings": findings,
        "rows": {str(model._meta.verbose_name): len(rows) for model, rows in builder.rows.items()},
    }
