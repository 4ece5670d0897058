"""REST API of core (/api/v1/): compliance findings and policy profiles, read-only. Findings
are written only by core.services.compliance_run; profiles are edited in the admin."""

from drf_spectacular.utils import extend_schema

from core.api import ScopedReadOnlyViewSet
from core.models import ComplianceFinding, PolicyProfile
from core.serializers import ComplianceFindingSerializer, PolicyProfileSerializer


@extend_schema(tags=["合规检查"])
class ComplianceFindingViewSet(ScopedReadOnlyViewSet):
    queryset = ComplianceFinding.objects.select_related("community", "profile")
    serializer_class = ComplianceFindingSerializer
    filterset_fields = ["community", "rule_id", "check_code", "status", "run_date"]
    search_fields = ["message", "citation", "rule_id"]
    ordering_fields = ["run_date", "rule_id", "check_code", "status"]


@extend_schema(tags=["政策参数方案"])
class PolicyProfileViewSet(ScopedReadOnlyViewSet):
    queryset = PolicyProfile.objects.all()
    serializer_class = PolicyProfileSerializer
    filterset_fields = ["is_preset", "code"]
    search_fields = ["code", "name", "source"]
    ordering_fields = ["code", "name"]


def register(router):
    router.register("findings", ComplianceFindingViewSet)
    router.register("profiles", PolicyProfileViewSet)
