"""`python manage.py demo_logins`: who can log in, as what, where — read from the database
(RoleAssignment and superusers), so the table is true for whatever exists."""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import translation

from core.demo import DEMO_PASSWORD
from core.models import Role, RoleAssignment

ADMIN_URL = "/admin/"
PORTAL_URL = "/portal/login/"
_ROLE_ORDER = {role: i for i, role in enumerate(Role.values)}


def width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


class Command(BaseCommand):
    help = "列出可登录的账号、角色、范围和登录入口（演示账号的密码）"

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            rows = self._rows()
        if not rows:
            self.stdout.write("尚无账号。请先运行：python manage.py seed_demo")
            return
        header = ("用户名", "姓名", "角色", "范围", "登录入口", "密码")
        widths = [max(width(r[i]) for r in (header, *rows)) for i in range(len(header))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write(
            "  ".join(pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            cells = [pad(cell, w) for cell, w in zip(row, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write(line)
        self.stdout.write(
            f"演示账号的初始密码均为 {DEMO_PASSWORD}（“已修改”表示该账号已改用其他密码）。"
            f"后台 = {ADMIN_URL}（街道角色、书记、主任、副主任）；门户 = {PORTAL_URL}（其他社区角色）。"
        )

    def _rows(self):
        User = get_user_model()
        by_user: dict[int, dict] = {}
        for user in User.objects.filter(is_active=True, is_superuser=True).order_by("username"):
            by_user[user.pk] = {"user": user, "roles": ["超级管理员"], "scopes": ["全部"]}
        assignments = RoleAssignment.objects.filter(user__is_active=True).select_related(
            "user", "street", "community"
        )
        ordered = sorted(
            assignments,
            key=lambda a: (
                a.community_id is not None,
                a.community_id or 0,
                _ROLE_ORDER.get(a.role, 99),
                a.user.username,
            ),
        )
        for a in ordered:
            entry = by_user.setdefault(a.user_id, {"user": a.user, "roles": [], "scopes": []})
            entry["roles"].append(str(Role(a.role).label))
            where = f"街道：{a.street}" if a.street else f"社区：{a.community}"
            if where not in entry["scopes"]:
                entry["scopes"].append(where)
        demo_password = _PasswordCheck()
        rows = []
        for entry in by_user.values():
            user = entry["user"]
            name = f"{user.last_name}{user.first_name}" or "—"
            where = f"后台 {ADMIN_URL}" if user.is_staff else f"门户 {PORTAL_URL}"
            password = DEMO_PASSWORD if demo_password(user) else "已修改"
            scopes = "、".join(entry["scopes"])
            rows.append((user.username, name, "、".join(entry["roles"]), scopes, where, password))
        return rows


class _PasswordCheck:
    """Whether a user still has the demo password. The seed gives every demo login the same
    hash, so one (slow) check answers for all users sharing it."""

    def __init__(self):
        self.known: dict[str, bool] = {}

    def __call__(self, user) -> bool:
        if user.password not in self.known:
            self.known[user.password] = user.check_password(DEMO_PASSWORD)
        return self.known[user.password]
