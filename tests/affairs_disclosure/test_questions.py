"""Residents' questions (DISC-4) from the public item page: no login, rate-limited per
address, a honeypot, length limits with clear messages, one row per form however often it is
sent; handled as a case with a deadline; the reply is published under the item."""

import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse

from affairs_disclosure import rules, services
from affairs_disclosure.models import QuestionKind, QuestionState, ResidentQuestion
from core.errors import RuleViolation
from tests.affairs_disclosure.conftest import today


def _url(disc, item):
    return reverse("public:item", args=[disc.community.pk, item.pk])


def _post(
    client, url, *, body="请问本季度的活动经费用在了哪些方面？", token=None, ip="10.0.0.1", **extra
):
    data = {"kind": "question", "body": body, "contact": "", "token": str(token or uuid.uuid4())}
    data.update(extra)
    return client.post(url, data, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_a_question_is_received_without_login_with_a_15_day_deadline(disc, client):
    item = disc.published()
    response = _post(client, _url(disc, item), contact="13900001111")
    assert response.status_code == 302 and response["Location"].endswith("?sent=1#ask")
    question = ResidentQuestion.objects.get()
    assert question.item == item and question.community == disc.community
    assert question.state == QuestionState.OPEN
    assert disc.community.profile.question_reply_days == 15  # the default
    assert question.due_on == today() + dt.timedelta(days=15)
    page = client.get(response["Location"]).content.decode()
    assert "已收到" in page
    assert "13900001111" not in page  # the contact is never public


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, message",
    [
        ("", "请填写内容"),
        ("   ", "请填写内容"),
        ("短", "内容过短"),
        ("长" * (rules.QUESTION_MAX_CHARS + 1), "内容过长（501 字）"),
    ],
)
def test_empty_or_oversize_input_is_refused_with_a_clear_message(disc, client, body, message):
    item = disc.published()
    response = _post(client, _url(disc, item), body=body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ResidentQuestion.objects.exists()


@pytest.mark.django_db
def test_the_limit_itself_is_accepted(disc, client):
    item = disc.published()
    assert _post(client, _url(disc, item), body="长" * rules.QUESTION_MAX_CHARS).status_code == 302
    oversize_contact = _post(client, _url(disc, item), contact="1" * 51)
    assert (
        oversize_contact.status_code == 400
        and "联系方式不能超过" in oversize_contact.content.decode()
    )


@pytest.mark.django_db
def test_honeypot_is_thanked_and_dropped(disc, client):
    item = disc.published()
    response = _post(client, _url(disc, item), website="http://spam.example")
    assert response.status_code == 302
    assert not ResidentQuestion.objects.exists()


@pytest.mark.django_db
def test_rate_limit_per_address(disc, client):
    item = disc.published()
    url = _url(disc, item)
    for _n in range(rules.QUESTIONS_PER_IP_PER_HOUR):
        assert _post(client, url).status_code == 302
    refused = _post(client, url)
    assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()
    assert ResidentQuestion.objects.count() == rules.QUESTIONS_PER_IP_PER_HOUR
    assert _post(client, url, ip="10.0.0.2").status_code == 302  # another address


@pytest.mark.django_db
def test_invalid_and_duplicate_submits_do_not_use_up_the_limit(disc, client):
    item = disc.published()
    url = _url(disc, item)
    token = uuid.uuid4()
    for _n in range(rules.QUESTIONS_PER_IP_PER_HOUR + 2):
        _post(client, url, body="")
        _post(client, url, token=token)
    assert ResidentQuestion.objects.count() == 1
    assert _post(client, url).status_code == 302


@pytest.mark.django_db
def test_a_double_submit_creates_one_row(disc, client):
    item = disc.published()
    token = uuid.uuid4()
    first = _post(client, _url(disc, item), token=token)
    second = _post(client, _url(disc, item), token=token)
    assert first["Location"].endswith("?sent=1#ask")
    assert second["Location"].endswith("?sent=dup#ask")
    assert ResidentQuestion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submits_of_one_form_at_the_same_moment_create_one_row(disc):
    item = disc.published()
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait(5)
            results.append(
                services.question_submit(
                    item=item,
                    kind=QuestionKind.QUESTION,
                    body="同时提交的问题",
                    contact="",
                    token=token,
                )[1]
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert sorted(results) == [False, True]
    assert ResidentQuestion.objects.count() == 1


@pytest.mark.django_db
def test_questions_only_on_published_items(disc, client):
    draft = disc.draft()
    assert _post(client, _url(disc, draft)).status_code == 404
    assert not ResidentQuestion.objects.exists()


@pytest.mark.django_db
def test_the_reply_is_published_under_the_item(disc, client):
    item = disc.published()
    _post(client, _url(disc, item), body="我家住3栋2单元，电话13900001111，请问补贴何时发放？")
    question = ResidentQuestion.objects.get()
    with pytest.raises(Http404):
        services.question_reply(user=disc.other_director, question=question, reply="x")
    with pytest.raises(ValidationError):
        services.question_reply(user=disc.director, question=question, reply=" ")
    services.question_reply(
        user=disc.director,
        question=question,
        reply="补贴已于本月 10 日发放。",
        public_text="请问补贴何时发放？",
    )
    page = client.get(_url(disc, item)).content.decode()
    assert "补贴已于本月 10 日发放。" in page and "请问补贴何时发放？" in page
    assert "13900001111" not in page and "3栋2单元" not in page
    with pytest.raises(RuleViolation):
        services.question_reply(user=disc.director, question=question, reply="再答一次")


@pytest.mark.django_db
def test_a_closed_question_is_not_published(disc, client):
    item = disc.published()
    _post(client, _url(disc, item), body="广告：低价装修请联系")
    question = ResidentQuestion.objects.get()
    with pytest.raises(ValidationError):
        services.question_close(user=disc.director, question=question, reason="")
    services.question_close(user=disc.director, question=question, reason="广告，不予公布")
    page = client.get(_url(disc, item)).content.decode()
    assert "低价装修" not in page and "暂无公开的答复" in page


@pytest.mark.django_db
def test_disc4_reply_days_come_from_the_profile_and_a_question_keeps_its_deadline(disc, client):
    profile = disc.community.profile
    profile.question_reply_days = 7
    profile.save(update_fields=["question_reply_days"])
    item = disc.published()
    response = _post(client, _url(disc, item))
    assert "社区将在 7 日内办理" in client.get(response["Location"]).content.decode()
    question = ResidentQuestion.objects.get()
    assert question.due_on == today() + dt.timedelta(days=7)
    profile.question_reply_days = 30
    profile.save(update_fields=["question_reply_days"])
    question.refresh_from_db()
    assert question.due_on == today() + dt.timedelta(days=7)  # fixed when it arrived
