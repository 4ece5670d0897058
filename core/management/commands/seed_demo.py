"""`python manage.py seed_demo`: create the demo street (core.demo) once; a second run skips."""

import time

from django.core.management.base import BaseCommand
from django.utils import translation

from core.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "创建演示街道、社区、账号并运行一次合规检查（已存在则跳过）"

    def handle(self, *args, **options):
        started = time.monotonic()
        # The demo data are Chinese whatever the shell's locale (room names come from labels).
        with translation.override("zh-hans"):
            result = build_demo()
        if result is None:
            self.stdout.write("演示数据已存在，跳过")
            return
        rows = "，".join(f"{name} {n}" for name, n in result["rows"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建演示街道「{result['street']}」：{result['communities']} 个社区，"
                f"{result['users']} 个账号（密码 {DEMO_PASSWORD}），"
                f"合规检查结果 {result['findings']} 条；用时 {time.monotonic() - started:.1f} 秒"
            )
        )
        self.stdout.write(rows)
        self.stdout.write("账号列表：python manage.py demo_logins")
