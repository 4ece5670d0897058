"""REST API of meetings (/api/v1/). Reads are scoped (another community's row is 404);
every write goes through meetings.services, so MEET-1's quorum, thresholds and vote rules
apply and come back as {"code": "MEET-1", ...}. A representative votes as themselves by
omitting `seat`."""

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ScopedReadOnlyViewSet
from core.errors import RuleViolation
from core.scoping import scoped
from meetings import models as m
from meetings import rules, services

TAG = "会议"


class SeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.SittingSeat
        fields = ("id", "membership", "name", "proposer", "confirmed", "checked_in_at")
        read_only_fields = fields


class MotionSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Motion
        fields = (
            "id",
            "sitting",
            "number",
            "kind",
            "title",
            "text",
            "state",
            "opened_at",
            "present_at_open",
            "closed_at",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "passed",
        )
        read_only_fields = fields


class SittingSerializer(serializers.ModelSerializer):
    seats = SeatSerializer(many=True, read_only=True)
    present = serializers.SerializerMethodField()
    quorum_needed = serializers.SerializerMethodField()
    quorum_reached = serializers.SerializerMethodField()

    class Meta:
        model = m.Sitting
        fields = (
            "id",
            "community",
            "kind",
            "basis",
            "title",
            "scheduled_at",
            "place",
            "state",
            "representatives_total",
            "count_vacant_seats",
            "present",
            "quorum_needed",
            "quorum_reached",
            "seats",
        )
        read_only_fields = fields

    def get_present(self, obj) -> int:
        return sum(1 for s in obj.seats.all() if s.checked_in_at is not None)

    def get_quorum_needed(self, obj) -> int:
        return rules.quorum_needed(obj.representatives_total)

    def get_quorum_reached(self, obj) -> bool:
        return rules.has_quorum(self.get_present(obj), obj.representatives_total)


class SeatActionSerializer(serializers.Serializer):
    seat = serializers.IntegerField()


class SittingViewSet(ScopedReadOnlyViewSet):
    """MEET-1: sittings with their roster and the live quorum; check-in through the service."""

    queryset = m.Sitting.objects.prefetch_related("seats")
    serializer_class = SittingSerializer
    filterset_fields = ("community", "kind", "state")

    def get_permissions(self):
        if self.action == "check_in":
            return [permissions.IsAuthenticated()]  # the service checks the grant
        return super().get_permissions()

    @extend_schema(tags=[TAG], request=SeatActionSerializer, responses=SeatSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        sitting = self.get_object()
        data = SeatActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seat = sitting.seats.filter(pk=data.validated_data["seat"]).first()
        if seat is None:
            raise Http404
        return Response(SeatSerializer(services.seat_check_in(user=request.user, seat=seat)).data)


class AssemblyVoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=m.VoteChoice.choices)
    seat = serializers.IntegerField(required=False, allow_null=True)


class MotionViewSet(ScopedReadOnlyViewSet):
    """MEET-1: motions; open voting (quorum), vote (once, present when opened), close."""

    queryset = m.Motion.objects.select_related("sitting")
    serializer_class = MotionSerializer
    filterset_fields = ("sitting", "state", "kind", "passed")

    def get_permissions(self):
        if self.action in ("open_voting", "close", "vote"):
            return [permissions.IsAuthenticated()]  # the services check grants and seats
        return super().get_permissions()

    def get_queryset(self):
        if self.action == "vote":
            # A representative without a role reaches the motions of their own sittings.
            mine = m.Motion.objects.filter(
                sitting__seats__membership__user_id=self.request.user.pk
            ).values("pk")
            scoped_ids = scoped(m.Motion.objects.all(), self.request.user).values("pk")
            return m.Motion.objects.filter(Q(pk__in=mine) | Q(pk__in=scoped_ids))
        return super().get_queryset()

    @extend_schema(tags=[TAG], request=None, responses=MotionSerializer)
    @action(detail=True, methods=["post"], url_path="open-voting")
    def open_voting(self, request, pk=None):
        motion = services.motion_open_voting(user=request.user, motion=self.get_object())
        return Response(MotionSerializer(motion).data)

    @extend_schema(tags=[TAG], request=None, responses=MotionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        motion = services.motion_close(user=request.user, motion=self.get_object())
        return Response(MotionSerializer(motion).data)

    @extend_schema(tags=[TAG], request=AssemblyVoteSerializer, responses=MotionSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        motion = self.get_object()
        data = AssemblyVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seat = None
        if data.validated_data.get("seat"):
            seat = m.SittingSeat.objects.filter(pk=data.validated_data["seat"]).first()
            if seat is None:
                raise RuleViolation("MEET-1", _("该人员不是本次会议的居民代表，不能表决"))
        services.vote_cast(
            user=request.user, motion=motion, choice=data.validated_data["choice"], seat=seat
        )
        return Response(MotionSerializer(motion).data, status=201)


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Meeting
        fields = ("id", "community", "kind", "date", "topic", "chair", "recorder", "minutes")
        read_only_fields = fields


class MeetingViewSet(ScopedReadOnlyViewSet):
    """MEET-3/4: regular meetings with their minutes."""

    queryset = m.Meeting.objects.all()
    serializer_class = MeetingSerializer
    filterset_fields = ("community", "kind", "date")


class ChronicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ChronicleEntry
        fields = ("id", "community", "date", "title", "description", "meeting", "sitting")
        read_only_fields = fields


class ChronicleViewSet(ScopedReadOnlyViewSet):
    """MEET-4: the 大事记."""

    queryset = m.ChronicleEntry.objects.all()
    serializer_class = ChronicleSerializer
    filterset_fields = ("community",)


def register(router):
    router.register("sittings", SittingViewSet)
    router.register("motions", MotionViewSet)
    router.register("meetings", MeetingViewSet)
    router.register("major-events", ChronicleViewSet)
