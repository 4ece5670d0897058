"""The registry of compliance checks (issue #3 §6).

Each app registers its checks in `<app>/checks.py` (autodiscovered in CoreConfig.ready):

    @register("org3-committee-size", rule_id="ORG-3", title=..., citation="001 第十条",
              params=("committee_min", "committee_max", "committee_households_per_member"))
    def committee_size(community, profile) -> Result: ...

A check reads, never writes; core.services.compliance_run stores its results as
ComplianceFinding rows, each with the parameter values that applied.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.models import FindingStatus


@dataclass(frozen=True)
class Result:
    status: str
    message: str

    @classmethod
    def ok(cls, message):
        return cls(FindingStatus.OK, str(message))

    @classmethod
    def warning(cls, message):
        return cls(FindingStatus.WARNING, str(message))

    @classmethod
    def violation(cls, message):
        return cls(FindingStatus.VIOLATION, str(message))


@dataclass(frozen=True)
class Check:
    code: str
    rule_id: str
    title: str
    citation: str
    params: tuple[str, ...]
    func: Callable


REGISTRY: dict[str, Check] = {}


def register(code: str, *, rule_id: str, title, citation: str, params: tuple[str, ...] = ()):
    def decorator(func):
        if code in REGISTRY and REGISTRY[code].func is not func:
            raise ValueError(f"compliance check {code!r} registered twice")
        REGISTRY[code] = Check(code, rule_id, str(title), citation, tuple(params), func)
        return func

    return decorator


def checks() -> list[Check]:
    return sorted(REGISTRY.values(), key=lambda c: (c.rule_id, c.code))


def evaluate(community):
    """Yield (check, result) for every registered check on one community."""
    profile = community.profile
    for check in checks():
        yield check, check.func(community, profile)
