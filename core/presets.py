"""Policy-profile presets: `default` (RULES.md's defaults) and one per seed (the numbers
where that seed says something of its own). Loaded by core/migrations/0002."""

DEFAULT = {
    "code": "default",
    "name": "默认方案（规则目录默认值）",
    "source": "shared/RULES.md 默认值",
    "description": "取规则目录给出的默认边界；各参数依据见字段说明。",
}

# Only the parameters that differ from the model defaults are listed.
PRESETS = [
    (DEFAULT, {}),
    (
        {
            "code": "seed-000-jinshan",
            "name": "金山镇城市社区工作管理办法（试行）",
            "source": "000_5634e41e9607433c.txt",
        },
        # 000 第十条: 每 300—400 户配备 1 人，不少于 5 人 — the model defaults.
        {"households_per_worker_low": 300, "households_per_worker_high": 400, "min_workers": 5},
    ),
    (
        {
            "code": "seed-001-shandong",
            "name": "山东某市城市社区管理办法（2018）",
            "source": "001_c659f8141721f8b3.txt",
        },
        # 001 第三十一条: 每千户每年不低于 2 万元.
        {"funding_basis": "per_1000_households", "funding_amount": "20000"},
    ),
    (
        {
            "code": "seed-002-reform",
            "name": "市委完善社区管理体制意见",
            "source": "002_2ca06e53cdba72f3.txt",
        },
        # 002 四(二): 每 300 户 1 人、不少于 5 人；每社区每年 2 万元，市、街各半；
        # 服务室主任由党组织书记兼任；002 四(六) 五室三站两栏一校一场所.
        {
            "households_per_worker_low": 300,
            "households_per_worker_high": 300,
            "min_workers": 5,
            "funding_basis": "per_community",
            "funding_amount": "20000",
            "funding_city_share_pct": 50,
            "service_room_head": "party_secretary",
            "facility_checklist": "5r3s2b1s1p",
        },
    ),
    (
        {
            "code": "seed-003-changchun",
            "name": "长春市社区居委会规范化管理服务工作制度（试行）",
            "source": "003_dbe967013e4a5481.txt",
        },
        # 003 五(二): 服务中心主任由居委会主任兼任；十四(二)(四) 审批与现金界限.
        {
            "service_room_head": "committee_director",
            "approval_street_from": "300",
            "approval_collective_from": "1000",
            "cash_limit": "1000",
        },
    ),
    (
        {
            "code": "seed-004-opinion",
            "name": "关于加强社区建设管理工作的意见",
            "source": "004_52fd2bac49d38013.txt",
        },
        # 004 二(二)2: 18室1厅1站6栏；三(二)2 差距每年缩小 10%—20%.
        {"facility_checklist": "18r1h1s6b", "wage_catchup_pct": 10},
    ),
]


def load_presets(PolicyProfile):
    """Create or refresh the presets (idempotent; works with a historical model)."""
    for identity, values in PRESETS:
        PolicyProfile.objects.update_or_create(
            code=identity["code"],
            defaults={**identity, **values, "is_preset": True},
        )
