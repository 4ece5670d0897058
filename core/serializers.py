"""API serializers of what core owns: compliance findings and policy profiles (read-only)."""

from rest_framework import serializers

from core.models import ComplianceFinding, PolicyProfile


class ComplianceFindingSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    profile_code = serializers.CharField(source="profile.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ComplianceFinding
        fields = "__all__"


class PolicyProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyProfile
        fields = "__all__"
