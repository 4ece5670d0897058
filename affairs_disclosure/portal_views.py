"""Disclosure pages of the worker portal (/portal/disclosure/, namespace "disclosure"):
draft, approve (DISC-3), stamp (FIN-7, street supervision committee), publish, archive and
correct items; generate drafts from the quarterly statement, the ledgers and the assembly's
results; answer residents' questions (DISC-4); the street table of who disclosed what and when
(DISC-2). Thin views over affairs_disclosure.selectors; every write calls
affairs_disclosure.services. Another community's item, attachment or question is 404 on every
URL."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from affairs_disclosure import rules, selectors, services
from affairs_disclosure.forms import (
    ActionForm,
    AttachmentForm,
    CloseForm,
    ItemForm,
    ReplyForm,
)
from affairs_disclosure.models import (
    PUBLIC_STATES,
    ApprovalSide,
    Category,
    DisclosureItem,
    ItemState,
    QuestionState,
)
from affairs_disclosure.services.common import perm
from communities.models import Community
from communities.selectors import community_list
from core.scoping import can

PER_PAGE = 30
VIEW = "affairs_disclosure.view_disclosureitem"


def _require_view(user):
    if not can(user, VIEW):
        raise PermissionDenied


def _communities_where(user, permission):
    """Active communities in scope where the user holds `permission` (a queryset)."""
    ids = [
        c.pk
        for c in community_list(user=user, active_only=True)
        if can(user, permission, DisclosureItem(community=c))
    ]
    return Community.objects.filter(pk__in=ids).order_by("name")


@login_required
def home(request):
    """The items in the user's scope, filterable by community, state and category."""
    _require_view(request.user)
    params = request.GET
    community_id = params.get("community")
    community_id = int(community_id) if community_id and community_id.isdigit() else None
    state = params.get("state") if params.get("state") in ItemState.values else None
    category = params.get("category") if params.get("category") in Category.values else None
    rows = selectors.item_list(
        user=request.user, community_id=community_id, state=state, category=category
    )
    page = Paginator(rows, PER_PAGE).get_page(params.get("page"))
    context = {
        "page": page,
        "communities": community_list(user=request.user, active_only=True),
        "community_id": community_id,
        "state": state,
        "category": category,
        "states": ItemState.choices,
        "categories": Category.choices,
        "can_add": can(request.user, perm("add")),
        "open_questions": selectors.question_list(
            user=request.user, state=QuestionState.OPEN
        ).count(),
    }
    return render(request, "portal/disclosure/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def item_new(request):
    """A new draft, typed on the phone."""
    communities = _communities_where(request.user, perm("add"))
    if not communities.exists():
        raise PermissionDenied
    initial = {}
    if request.GET.get("community", "").isdigit():
        initial["community"] = int(request.GET["community"])
    today = timezone.localdate()
    initial.update(year=today.year, quarter=rules.quarter_of_month(today.month))
    if request.method == "POST":
        form = ItemForm(request.POST, communities=communities)
        if form.is_valid():
            if not form.claim_token(request.user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("disclosure:home")
            try:
                item = services.item_save(user=request.user, instance=form.instance)
            except ValidationError as exc:
                form.release_token(request.user)
                form.instance.pk = None
                form.add_service_errors(exc)
            else:
                messages.success(request, _("草稿已保存。"))
                return redirect("disclosure:item", pk=item.pk)
    else:
        form = ItemForm(communities=communities, initial=initial)
    return render(request, "portal/disclosure/item_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk):
    item = selectors.item_get(user=request.user, pk=pk)
    if not can(request.user, perm("change"), item):
        raise PermissionDenied
    if request.method == "POST":
        form = ItemForm(request.POST, instance=item, communities=Community.objects.all())
        if form.is_valid():
            if not form.claim_token(request.user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("disclosure:item", pk=item.pk)
            try:
                services.item_save(user=request.user, instance=form.instance)
            except ValidationError as exc:
                form.release_token(request.user)
                form.add_service_errors(exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("disclosure:item", pk=item.pk)
    else:
        form = ItemForm(instance=item, communities=Community.objects.filter(pk=item.community_id))
    return render(request, "portal/disclosure/item_form.html", {"form": form, "item": item})


def actions_for(user, item) -> dict[str, bool]:
    """Which workflow buttons the user sees on the item's page."""
    draft = item.state == ItemState.DRAFT
    return {
        "edit": draft and can(user, perm("change"), item),
        "delete": draft and can(user, perm("delete"), item),
        "approve_party": draft
        and ApprovalSide.PARTY not in item.approval_by_side
        and can(user, services.approval_perm(ApprovalSide.PARTY), item),
        "approve_committee": draft
        and ApprovalSide.COMMITTEE not in item.approval_by_side
        and can(user, services.approval_perm(ApprovalSide.COMMITTEE), item),
        "stamp": item.state == ItemState.APPROVED
        and item.needs_stamp
        and services.street_perm(user, perm("stamp"), item.community.street_id),
        "publish": can(user, perm("publish"), item)
        and item.state == (ItemState.STAMPED if item.needs_stamp else ItemState.APPROVED),
        "archive": item.state == ItemState.PUBLISHED and can(user, perm("archive"), item),
        "return": (
            item.state in (ItemState.APPROVED, ItemState.STAMPED)
            or (draft and bool(item.approval_by_side))
        )
        and services.may_return(user, item),
        "correct": item.state in PUBLIC_STATES
        and item.correction is None
        and can(user, perm("add"), item),
    }


@login_required
def item_detail(request, pk):
    item = selectors.item_get(user=request.user, pk=pk)
    actions = actions_for(request.user, item)
    context = {
        "item": item,
        "actions": actions,
        "action_form": ActionForm(),
        "attachment_form": AttachmentForm(),
        "today": timezone.localdate(),
    }
    return render(request, "portal/disclosure/item.html", context)


ACTIONS = ("approve", "stamp", "publish", "archive", "return", "correct", "delete")


@login_required
@require_POST
def item_action(request, pk, name):
    """One workflow step, through the service; a second POST of the same form does nothing."""
    item = selectors.item_get(user=request.user, pk=pk)
    back = redirect("disclosure:item", pk=item.pk)
    form = ActionForm(request.POST)
    if name not in ACTIONS or not form.is_valid():
        messages.error(request, _("表单已失效，请刷新页面后重新提交"))
        return back
    if not form.claim_token(request.user):
        messages.info(request, _("该操作已经提交过，未重复执行。"))
        return back
    data, user = form.cleaned_data, request.user
    try:
        if name == "approve":
            services.item_approve(user=user, item=item, side=data["side"], comment=data["comment"])
            text = _("已核准。")
        elif name == "stamp":
            services.item_stamp(user=user, item=item, stamped_on=data["on"])
            text = _("已审核签章。")
        elif name == "publish":
            services.item_publish(user=user, item=item, published_on=data["on"])
            text = _("已公布，公开页面已更新。")
        elif name == "archive":
            services.item_archive(user=user, item=item)
            text = _("已归档。")
        elif name == "return":
            services.item_return(user=user, item=item, reason=data["reason"])
            text = _("已退回为草稿。")
        elif name == "correct":
            correction = services.item_correct(user=user, item=item, reason=data["reason"])
            messages.success(request, _("已生成更正版本草稿，请修改后重新核准、公布。"))
            return redirect("disclosure:item", pk=correction.pk)
        else:
            services.item_delete(user=user, instance=item)
            messages.success(request, _("草稿已删除。"))
            return redirect("disclosure:home")
    except (ValidationError, PermissionDenied) as exc:
        form.release_token(user)
        for message in getattr(exc, "messages", None) or [str(exc)]:
            messages.error(request, message)
        return back
    messages.success(request, text)
    return back


@login_required
@require_POST
def attachment_upload(request, pk):
    item = selectors.item_get(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid() and form.claim_token(request.user):
        try:
            services.attachment_add(user=request.user, item=item, upload=form.cleaned_data["file"])
        except (ValidationError, PermissionDenied) as exc:
            form.release_token(request.user)
            for message in getattr(exc, "messages", None) or [str(exc)]:
                messages.error(request, message)
        else:
            messages.success(request, _("附件已上传。"))
    elif form.errors:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("disclosure:item", pk=item.pk)


@login_required
def attachment_download(request, pk):
    obj = selectors.attachment_get(user=request.user, pk=pk)
    response = FileResponse(
        obj.file.open("rb"), content_type=obj.content_type, as_attachment=not obj.is_image
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_delete(request, pk):
    obj = selectors.attachment_get(user=request.user, pk=pk)
    try:
        services.attachment_delete(user=request.user, instance=obj)
    except (ValidationError, PermissionDenied) as exc:
        for message in getattr(exc, "messages", None) or [str(exc)]:
            messages.error(request, message)
    else:
        messages.success(request, _("附件已删除。"))
    return redirect("disclosure:item", pk=obj.item_id)


@login_required
def questions(request):
    """DISC-4: residents' questions in scope, open ones first by deadline."""
    if not can(request.user, "affairs_disclosure.view_residentquestion"):
        raise PermissionDenied
    state = request.GET.get("state")
    state = state if state in QuestionState.values else None
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.question_list(user=request.user, state=state, overdue=overdue)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "overdue": overdue,
        "states": QuestionState.choices,
        "today": timezone.localdate(),
    }
    return render(request, "portal/disclosure/questions.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def question_detail(request, pk):
    """Answer (published under the item at once) or close a question."""
    question = selectors.question_get(user=request.user, pk=pk)
    may_handle = question.state == QuestionState.OPEN and can(
        request.user, services.REPLY_PERM, question
    )
    reply_form, close_form = ReplyForm(prefix="reply"), CloseForm(prefix="close")
    if request.method == "POST":
        if not may_handle:
            raise PermissionDenied
        closing = request.POST.get("which") == "close"
        form = (
            CloseForm(request.POST, prefix="close")
            if closing
            else ReplyForm(request.POST, prefix="reply")
        )
        if form.is_valid():
            if not form.claim_token(request.user):
                messages.info(request, _("该表单已经提交过，未重复保存。"))
                return redirect("disclosure:question", pk=question.pk)
            data = form.cleaned_data
            try:
                if closing:
                    services.question_close(
                        user=request.user, question=question, reason=data["close_reason"]
                    )
                else:
                    services.question_reply(
                        user=request.user,
                        question=question,
                        reply=data["reply"],
                        public_text=data["public_text"],
                    )
            except ValidationError as exc:
                form.release_token(request.user)
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, _("已办结。") if closing else _("已答复，答复已公布在公开事项下。")
                )
                return redirect("disclosure:question", pk=question.pk)
        if closing:
            close_form = form
        else:
            reply_form = form
    context = {
        "question": question,
        "may_handle": may_handle,
        "reply_form": reply_form,
        "close_form": close_form,
        "today": timezone.localdate(),
    }
    return render(request, "portal/disclosure/question.html", context)


def _quarter_param(request):
    today = timezone.localdate()
    year, quarter = today.year, rules.quarter_of_month(today.month)
    raw = request.GET.get("q", "")
    if len(raw) == 7 and raw[4:6] == "-Q" and raw[:4].isdigit() and raw[6] in "1234":
        year, quarter = int(raw[:4]), int(raw[6])
    return year, quarter


def quarter_options(today, count=8):
    year, quarter = today.year, rules.quarter_of_month(today.month)
    options = []
    for _i in range(count):
        options.append((rules.quarter_label(year, quarter), year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return options


@login_required
def status(request):
    """DISC-2: the street table — per community and quarter, which categories were
    published, when, and which are late."""
    _require_view(request.user)
    year, quarter = _quarter_param(request)
    table = selectors.status_table(user=request.user, year=year, quarter=quarter)
    context = {
        "table": table,
        "options": quarter_options(timezone.localdate()),
        "selected": rules.quarter_label(year, quarter),
    }
    return render(request, "portal/disclosure/status.html", context)
