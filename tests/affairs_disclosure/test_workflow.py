"""The disclosure workflow (DISC-3, FIN-7, DISC-5): approvals by the party organisation and
the committee with who and when, the street supervision committee's stamp on financial items
(stamp date on or before the posting date), publication, immutability in the database,
corrections as versions, archiving, attachments, concurrency."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.http import Http404

from affairs_disclosure import services
from affairs_disclosure.models import (
    ApprovalSide,
    Category,
    DisclosureApproval,
    DisclosureAttachment,
    DisclosureItem,
    ItemState,
)
from core.errors import RuleViolation
from tests.affairs_disclosure.conftest import DAY, today

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _rule(exc_info):
    return exc_info.value.rule_id


@pytest.mark.django_db
def test_draft_body_is_stored_as_sanitised_paragraphs(disc):
    item = disc.draft(body="第一段\n\n第二段 <b>x</b><script>y</script>")
    assert "<script" not in item.body and item.state == ItemState.DRAFT
    plain = disc.draft(body="第一段\n\n第二段")
    assert plain.body == "<p>第一段</p>\n\n<p>第二段</p>"
    assert plain.created_by == disc.director and plain.version == 1


@pytest.mark.django_db
def test_disc6_monthly_release_takes_its_quarter_from_the_month(disc):
    item = disc.draft(category=Category.MONTHLY, month=5, quarter=1)
    assert (item.month, item.quarter) == (5, 2)
    with pytest.raises(ValidationError):
        disc.draft(category=Category.FINANCE, month=5)


@pytest.mark.django_db
def test_disc3_both_sides_approve_and_who_is_recorded(disc):
    item = disc.draft()
    item = services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    assert item.state == ItemState.DRAFT
    with pytest.raises(RuleViolation) as err:
        services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    assert _rule(err) == "DISC-3"
    with pytest.raises(PermissionDenied):  # the party secretary is not the committee side
        services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.COMMITTEE)
    with pytest.raises(PermissionDenied):
        services.item_approve(user=disc.deputy, item=item, side=ApprovalSide.COMMITTEE)
    item = services.item_approve(
        user=disc.director, item=item, side=ApprovalSide.COMMITTEE, comment="同意公开"
    )
    assert item.state == ItemState.APPROVED and item.approved_at is not None
    who = dict(DisclosureApproval.objects.filter(item=item).values_list("side", "user_id"))
    assert who == {"party": disc.secretary.pk, "committee": disc.director.pk}


@pytest.mark.django_db
def test_disc3_publication_needs_both_approvals(disc):
    item = disc.draft()
    with pytest.raises(RuleViolation) as err:
        services.item_publish(user=disc.director, item=item)
    assert _rule(err) == "DISC-3"
    services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    with pytest.raises(RuleViolation):
        services.item_publish(user=disc.director, item=item)
    item = services.item_approve(user=disc.director, item=item, side=ApprovalSide.COMMITTEE)
    item = services.item_publish(user=disc.director, item=item)
    assert item.state == ItemState.PUBLISHED and item.published_on == today()
    assert item.published_by == disc.director


@pytest.mark.django_db
def test_changing_a_draft_withdraws_its_approvals(disc):
    item = disc.draft()
    services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    item.title = "改过的标题"
    services.item_save(user=disc.director, instance=item)
    assert not DisclosureApproval.objects.filter(item=item).exists()
    # Saving without a change keeps them.
    services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
    item = DisclosureItem.objects.get(pk=item.pk)
    services.item_save(user=disc.director, instance=item)
    assert DisclosureApproval.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_an_approved_item_is_not_edited_but_can_be_returned(disc):
    item = disc.approved(disc.draft())
    item.title = "x"
    with pytest.raises(RuleViolation):
        services.item_save(user=disc.director, instance=item)
    with pytest.raises(ValidationError):
        services.item_return(user=disc.secretary, item=item, reason=" ")
    item = services.item_return(user=disc.secretary, item=item, reason="数据有误")
    assert item.state == ItemState.DRAFT and not item.approvals.exists()


@pytest.mark.django_db
def test_fin7_financial_item_needs_the_street_supervision_stamp(disc):
    item = disc.approved(disc.draft(category=Category.FINANCE))
    with pytest.raises(RuleViolation) as err:
        services.item_publish(user=disc.director, item=item)
    assert _rule(err) == "FIN-7"
    for outsider in (disc.director, disc.secretary, disc.foreign_supervisor):
        with pytest.raises((PermissionDenied, Http404)):
            services.item_stamp(user=outsider, item=item)
    with pytest.raises(ValidationError):
        services.item_stamp(user=disc.supervisor, item=item, stamped_on=today() + DAY)
    with pytest.raises(ValidationError):  # before it was approved
        services.item_stamp(user=disc.supervisor, item=item, stamped_on=today() - DAY)
    item = services.item_stamp(user=disc.supervisor, item=item)
    assert item.state == ItemState.STAMPED and item.stamped_by == disc.supervisor
    with pytest.raises(RuleViolation) as err:  # posting may not precede the stamp
        services.item_publish(user=disc.director, item=item, published_on=today() - DAY)
    assert _rule(err) == "FIN-7"
    item = services.item_publish(user=disc.director, item=item, published_on=today())
    assert item.stamped_on == item.published_on == today()


@pytest.mark.django_db
def test_fin7_stamp_only_for_financial_items_and_only_once_approved(disc):
    other = disc.approved(disc.draft())
    with pytest.raises(RuleViolation):
        services.item_stamp(user=disc.supervisor, item=other)
    draft = disc.draft(category=Category.FINANCE)
    with pytest.raises(RuleViolation) as err:
        services.item_stamp(user=disc.supervisor, item=draft)
    assert _rule(err) == "DISC-3"


@pytest.mark.django_db
def test_disc5_a_board_channel_is_required_to_publish(disc):
    item = disc.approved(disc.draft(channels=[]))
    with pytest.raises(RuleViolation) as err:
        services.item_publish(user=disc.director, item=item)
    assert _rule(err) == "DISC-5"


@pytest.mark.django_db
def test_published_item_is_immutable_in_the_database(disc):
    item = disc.published()
    attachment_rows = DisclosureAttachment.objects.filter(item=item)
    for change in (
        lambda: DisclosureItem.objects.filter(pk=item.pk).update(title="篡改"),
        lambda: DisclosureItem.objects.filter(pk=item.pk).update(state="draft"),
        lambda: DisclosureItem.objects.filter(pk=item.pk).update(
            state="archived", body="<p>篡改</p>"
        ),
        lambda: DisclosureItem.objects.filter(pk=item.pk).delete(),
        lambda: DisclosureApproval.objects.filter(item=item).delete(),
        lambda: DisclosureApproval.objects.filter(item=item).update(comment="x"),
        lambda: DisclosureAttachment.objects.create(
            item=item, name="x.png", content_type="image/png", size=1, uploaded_by=disc.director
        ),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert not attachment_rows.exists()
    item.refresh_from_db()
    assert item.title == "测试公开事项" and item.state == ItemState.PUBLISHED
    item.title = "x"
    with pytest.raises(RuleViolation):
        services.item_save(user=disc.director, instance=item)
    # Archiving is the one change allowed, and then nothing more.
    item = services.item_archive(user=disc.director, item=item)
    assert item.state == ItemState.ARCHIVED
    with pytest.raises(DatabaseError), transaction.atomic():
        DisclosureItem.objects.filter(pk=item.pk).update(state="published")


@pytest.mark.django_db
def test_correction_is_a_new_version_shown_as_corrected(disc, client):
    from django.urls import reverse

    original = disc.published(title="第二季度财务公开")
    with pytest.raises(ValidationError):
        services.item_correct(user=disc.director, item=original, reason="")
    correction = services.item_correct(user=disc.director, item=original, reason="金额有误")
    assert correction.version == 2 and correction.supersedes == original
    assert correction.state == ItemState.DRAFT
    with pytest.raises(RuleViolation):
        services.item_correct(user=disc.director, item=original, reason="再次更正")
    # The period stays; the text may change.
    correction.title, correction.year = "第二季度财务公开（更正）", 2000
    correction = services.item_save(user=disc.director, instance=correction)
    assert correction.year == original.year
    page = reverse("public:community", args=[disc.community.pk])
    old_url = reverse("public:item", args=[disc.community.pk, original.pk])
    assert "已更正" not in client.get(old_url).content.decode()  # not yet published
    correction = disc.published(correction)
    body = client.get(old_url).content.decode()
    assert f"已更正（{today():%Y-%m-%d}）" in body
    assert reverse("public:item", args=[disc.community.pk, correction.pk]) in body
    new = client.get(reverse("public:item", args=[disc.community.pk, correction.pk]))
    assert "本版为更正版本" in new.content.decode() and "金额有误" in new.content.decode()
    listing = client.get(page).content.decode()
    current = listing.split('id="current"', 1)[1].split("</section>", 1)[0]
    assert "（更正）" in current and "第二季度财务公开</a>" not in current
    history = reverse("public:history", args=[disc.community.pk, original.year])
    year_page = client.get(history).content.decode()
    assert f"已更正（{today():%Y-%m-%d}）" in year_page and "更正版" in year_page
    original.refresh_from_db()
    assert original.state == ItemState.PUBLISHED and original.title == "第二季度财务公开"


@pytest.mark.django_db
def test_publication_replaces_the_public_page_version(disc):
    from affairs_disclosure.public_cache import page_version

    before = page_version(disc.community.pk)
    item = disc.approved(disc.draft())
    assert page_version(disc.community.pk) == before  # nothing public changed
    item = services.item_publish(user=disc.director, item=item)
    after = page_version(disc.community.pk)
    assert after != before
    services.item_archive(user=disc.director, item=item)
    assert page_version(disc.community.pk) != after
    assert page_version(disc.other.pk) not in (before, after)


@pytest.mark.django_db
def test_other_communities_items_do_not_exist_for_the_user(disc):
    item = disc.draft()
    for call in (
        lambda: services.item_approve(user=disc.other_director, item=item, side="committee"),
        lambda: services.item_publish(user=disc.other_director, item=item),
        lambda: services.item_return(user=disc.other_director, item=item, reason="x"),
        lambda: services.item_stamp(user=disc.foreign_supervisor, item=item),
    ):
        with pytest.raises(Http404):
            call()
    with pytest.raises(Http404):
        services.item_save(
            user=disc.other_director,
            instance=DisclosureItem(
                community=disc.community, category="other", year=2025, quarter=1, title="x"
            ),
        )


@pytest.mark.django_db
def test_attachments_are_sniffed_size_checked_and_frozen_after_publication(disc):
    item = disc.draft()
    png = services.attachment_add(
        user=disc.director, item=item, upload=SimpleUploadedFile("公示照片.png", PNG)
    )
    assert png.content_type == "image/png" and png.size == len(PNG)
    services.attachment_add(user=disc.director, item=item, upload=SimpleUploadedFile("a.pdf", PDF))
    for name, content in (
        ("x.pdf", PNG),
        ("x.svg", b"<svg onload=alert(1)>"),
        ("x.exe", b"MZ" + b"\x00" * 10),
        ("empty.png", b""),
    ):
        with pytest.raises(ValidationError):
            services.attachment_add(
                user=disc.director, item=item, upload=SimpleUploadedFile(name, content)
            )
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as err:
        services.attachment_add(user=disc.director, item=item, upload=big)
    assert "5 MB" in str(err.value)
    disc.published(item)
    with pytest.raises(RuleViolation):
        services.attachment_add(
            user=disc.director, item=item, upload=SimpleUploadedFile("b.png", PNG)
        )
    with pytest.raises(RuleViolation):
        services.attachment_delete(user=disc.director, instance=png)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_one_side_make_one(disc):
    """The first approver holds the item's row lock; the second waits, then finds the side
    approved and is refused: one approval row, no error other than the rule."""
    item = disc.draft()
    second_secretary = _secretary(disc)
    holding, release = threading.Event(), threading.Event()
    outcomes = []

    def first():
        try:
            with transaction.atomic():
                services.item_approve(user=disc.secretary, item=item, side=ApprovalSide.PARTY)
                holding.set()
                release.wait(10)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(exc)
        finally:
            holding.set()
            connection.close()

    def second():
        try:
            services.item_approve(user=second_secretary, item=item, side=ApprovalSide.PARTY)
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.rule_id)
        except Exception as exc:  # noqa: BLE001
            outcomes.append(exc)
        finally:
            connection.close()

    t1 = threading.Thread(target=first)
    t1.start()
    assert holding.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    t2.join(0.5)
    assert t2.is_alive(), "the second approval should wait for the row lock"
    release.set()
    t1.join(20)
    t2.join(20)
    assert sorted(map(str, outcomes)) == ["DISC-3", "ok"]
    assert DisclosureApproval.objects.filter(item=item).count() == 1


def _secretary(disc):
    from core.models import Role
    from tests.factories import user_with_role

    return user_with_role(Role.PARTY_SECRETARY, community=disc.community)


@pytest.mark.django_db
def test_street_admin_may_do_everything_but_no_community_role_stamps(disc):
    item = disc.draft(category=Category.FINANCE, user=disc.street_admin)
    item = services.item_approve(user=disc.street_admin, item=item, side=ApprovalSide.PARTY)
    item = services.item_approve(user=disc.street_admin, item=item, side=ApprovalSide.COMMITTEE)
    item = services.item_stamp(user=disc.street_admin, item=item)
    item = services.item_publish(user=disc.street_admin, item=item)
    assert item.state == ItemState.PUBLISHED
    assert dt.date.today() >= item.stamped_on
