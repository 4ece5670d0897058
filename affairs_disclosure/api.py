"""REST API of affairs disclosure (/api/v1/disclosure/): items with their workflow actions
(approve by the party organisation or the committee, DISC-3; stamp by the street supervision
committee, FIN-7; publish; archive; return; correct; a draft from a closed sitting's results,
DISC-1(3), or from a quarter's paid services' fees, FIN-8) and residents' questions (DISC-4) with
answer and close. Reads are scoped by ScopedViewSetMixin (another community's item or
question is 404, also for its actions); every write calls affairs_disclosure.services, so a
refusal comes back as a 400 with its rule id ({"code": "DISC-3", ...})."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from affairs_disclosure import selectors, services
from affairs_disclosure import serializers as s
from affairs_disclosure.models import (
    Category,
    DisclosureApproval,
    DisclosureAttachment,
    DisclosureItem,
    ItemState,
    QuestionState,
    ResidentQuestion,
    Source,
)
from core.api import ScopedModelPermissions, ScopedViewSetMixin

TAG = "居务公开"


class ViewActionPermissions(ScopedModelPermissions):
    """An action on an item or question needs only to see it; the service decides who may
    act (the party organisation, the committee, the supervision committee) and says why not."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}


ACTION_PERMISSIONS = [permissions.IsAuthenticated, ViewActionPermissions]


class ItemFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    state = django_filters.ChoiceFilter(choices=ItemState.choices)
    period = django_filters.CharFilter(
        method="filter_period",
        label=_("期间：2025-Q3（季度）或 2025-07（月份）"),
    )

    class Meta:
        model = DisclosureItem
        fields = ["community", "category", "state", "year", "quarter", "month", "period"]

    def filter_period(self, queryset, name, value):
        value = (value or "").strip()
        year, _sep, rest = value.partition("-")
        if not (year.isdigit() and len(year) == 4):
            raise ValidationError({"period": _("期间格式应为 2025-Q3 或 2025-07")})
        if rest[:1] in ("Q", "q") and rest[1:] in ("1", "2", "3", "4"):
            return queryset.filter(year=int(year), quarter=int(rest[1:]))
        if rest.isdigit() and 1 <= int(rest) <= 12:
            return queryset.filter(year=int(year), month=int(rest))
        raise ValidationError({"period": _("期间格式应为 2025-Q3 或 2025-07")})


@extend_schema(tags=[TAG])
class DisclosureItemViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Disclosure items of the user's communities. Drafts are created, changed and deleted
    through services.item_save / item_delete; the workflow through the actions."""

    queryset = DisclosureItem.objects.select_related("community", "created_by", "published_by")
    serializer_class = s.DisclosureItemSerializer
    filterset_class = ItemFilter
    search_fields = ["title"]
    ordering_fields = ["year", "quarter", "month", "published_on", "created_at", "category"]
    ordering = ["-year", "-quarter", "-month", "category", "-version", "-pk"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "list":
            return s.DisclosureItemSerializer
        return s.DisclosureItemDetailSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            return qs.defer("body", "tables")
        return qs.prefetch_related(
            Prefetch("approvals", queryset=DisclosureApproval.objects.order_by("side")),
            Prefetch("attachments", queryset=DisclosureAttachment.objects.order_by("pk")),
        )

    def _detail(self, item, code=status.HTTP_200_OK):
        item = self.get_queryset().get(pk=item.pk)
        data = s.DisclosureItemDetailSerializer(item, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def perform_create(self, serializer):
        item = DisclosureItem(**serializer.validated_data)
        serializer.instance = services.item_save(user=self.request.user, instance=item)

    def perform_update(self, serializer):
        item = DisclosureItem.objects.get(pk=serializer.instance.pk)
        for name, value in serializer.validated_data.items():
            setattr(item, name, value)
        serializer.instance = services.item_save(user=self.request.user, instance=item)

    def perform_destroy(self, instance):
        services.item_delete(user=self.request.user, instance=instance)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self._detail(serializer.instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return self._detail(serializer.instance)

    @extend_schema(
        request=s.DisclosureGenerateAssemblySerializer, responses=s.DisclosureItemDetailSerializer
    )
    @action(detail=False, methods=["post"], url_path="generate-assembly")
    def generate_assembly(self, request):
        """DISC-1(3): the resolutions draft of a closed sitting of the residents'
        representative assembly (201 when made now, 200 when the sitting's draft exists)."""
        body = s.DisclosureGenerateAssemblySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sitting = selectors.sitting_for_generation_get(
            user=request.user, pk=body.validated_data["sitting"]
        )
        existed = DisclosureItem.objects.filter(source_sitting=sitting).exists()
        item = services.item_generate_assembly(user=request.user, sitting=sitting)
        return self._detail(item, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        request=s.DisclosureGeneratePaidFeesSerializer, responses=s.DisclosureItemDetailSerializer
    )
    @action(detail=False, methods=["post"], url_path="generate-paid-fees")
    def generate_paid_fees(self, request):
        """FIN-8: the quarter's draft of the fees of the community's paid services (a
        financial disclosure, stamped before it is posted; 201 when made now, 200 when the
        quarter's draft exists; another community is 404)."""
        body = s.DisclosureGeneratePaidFeesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        community = selectors.community_for_generation_get(user=request.user, pk=data["community"])
        period = {"year": data["year"], "quarter": data["quarter"]}
        existed = DisclosureItem.objects.filter(
            community=community, source=Source.PAID_FEES, **period
        ).exists()
        item = services.item_generate_paid_fees(user=request.user, community=community, **period)
        return self._detail(item, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        request=s.DisclosureApproveSerializer, responses=s.DisclosureItemDetailSerializer
    )
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def approve(self, request, pk=None):
        """DISC-3: the party organisation's or the committee's approval of a draft; with both
        the item is approved."""
        item = self.get_object()
        body = s.DisclosureApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.item_approve(user=request.user, item=item, **body.validated_data)
        return self._detail(item)

    @extend_schema(request=s.DisclosureDateSerializer, responses=s.DisclosureItemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def stamp(self, request, pk=None):
        """FIN-7: the street supervision committee reviews and stamps an approved financial
        disclosure."""
        item = self.get_object()
        body = s.DisclosureDateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.item_stamp(
            user=request.user, item=item, stamped_on=body.validated_data.get("on")
        )
        return self._detail(item)

    @extend_schema(request=s.DisclosureDateSerializer, responses=s.DisclosureItemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def publish(self, request, pk=None):
        """Post an approved (financial: stamped, FIN-7) item on its channels (DISC-5)."""
        item = self.get_object()
        body = s.DisclosureDateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.item_publish(
            user=request.user, item=item, published_on=body.validated_data.get("on")
        )
        return self._detail(item)

    @extend_schema(request=None, responses=s.DisclosureItemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def archive(self, request, pk=None):
        item = services.item_archive(user=request.user, item=self.get_object())
        return self._detail(item)

    @extend_schema(request=s.DisclosureReasonSerializer, responses=s.DisclosureItemDetailSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=ACTION_PERMISSIONS,
        url_path="return",
        url_name="return",
    )
    def send_back(self, request, pk=None):
        """Send an item not yet published back to draft; approvals and stamp are withdrawn."""
        item = self.get_object()
        body = s.DisclosureReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.item_return(user=request.user, item=item, **body.validated_data)
        return self._detail(item)

    @extend_schema(request=s.DisclosureReasonSerializer, responses=s.DisclosureItemDetailSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def correct(self, request, pk=None):
        """A correction of a published item: a new draft version that supersedes it."""
        item = self.get_object()
        body = s.DisclosureReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        correction = services.item_correct(user=request.user, item=item, **body.validated_data)
        return self._detail(correction, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.DisclosureAttachmentUploadSerializer, responses=s.DisclosureAttachmentSerializer
    )
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def attachments(self, request, pk=None):
        """Upload an image or PDF to a draft (type sniffed, size checked)."""
        item = self.get_object()
        body = s.DisclosureAttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            user=request.user, item=item, upload=body.validated_data["file"]
        )
        return Response(
            s.DisclosureAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED
        )


class QuestionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=QuestionState.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期未答复"))

    class Meta:
        model = ResidentQuestion
        fields = ["community", "item", "state", "kind", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = {"state": QuestionState.OPEN, "due_on__lt": timezone.localdate()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


@extend_schema(tags=[TAG])
class ResidentQuestionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """DISC-4: residents' questions in the user's communities, open ones first by deadline;
    answered (the reply is published under the item at once) or closed without publication."""

    queryset = ResidentQuestion.objects.select_related("community", "item").order_by(
        "state", "due_on", "-received_at", "-pk"
    )
    serializer_class = s.ResidentQuestionSerializer
    filterset_class = QuestionFilter
    search_fields = ["body"]
    ordering_fields = ["received_at", "due_on"]

    @extend_schema(request=s.QuestionAnswerSerializer, responses=s.ResidentQuestionSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def answer(self, request, pk=None):
        question = self.get_object()
        body = s.QuestionAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        question = services.question_reply(
            user=request.user, question=question, **body.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=question.pk)).data)

    @extend_schema(request=s.QuestionCloseSerializer, responses=s.ResidentQuestionSerializer)
    @action(detail=True, methods=["post"], permission_classes=ACTION_PERMISSIONS)
    def close(self, request, pk=None):
        question = self.get_object()
        body = s.QuestionCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        question = services.question_close(
            user=request.user, question=question, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=question.pk)).data)


def register(router):
    router.register("disclosure/items", DisclosureItemViewSet, basename="disclosure-item")
    router.register("disclosure/questions", ResidentQuestionViewSet, basename="disclosure-question")


__all__ = ["DisclosureItemViewSet", "ResidentQuestionViewSet", "register"]
