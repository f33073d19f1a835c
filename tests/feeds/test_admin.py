"""The digest in the admin: counts per issue, a test to oneself, publishing, erasure."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from feeds import tasks, weeks
from feeds.models import Delivery, Digest, Subscriber
from tests.base import make_editor, make_staff_without_group
from tests.feeds.conftest import record, record_at, subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(world):
    subscriber("sent@example.org")
    subscriber("failed@example.org")
    development = record()
    digest = tasks.digest_publish_and_fan_out(
        force=True, week=weeks.week_of(development.first_recorded_at)
    ).digest
    digest.deliveries.filter(subscriber__email="sent@example.org").update(status="sent")
    digest.deliveries.filter(subscriber__email="failed@example.org").update(
        status="failed", error="550 5.1.1 No such mailbox"
    )
    return digest


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "correct horse 42")


def test_editors_see_each_issue_with_its_delivery_counts(client, issue):
    client.force_login(make_editor())
    page = client.get("/admin/feeds/digest/")
    assert page.status_code == 200
    row = page.context["cl"].result_list.get(pk=issue.pk)
    assert (row.n_sent, row.n_failed, row.n_pending) == (1, 1, 0)
    assert "status__exact=failed" in page.content.decode()
    assert client.get(f"/admin/feeds/digest/{issue.pk}/change/").status_code == 200
    failed = client.get(f"/admin/feeds/delivery/?digest__id__exact={issue.pk}&status__exact=failed")
    assert "550 5.1.1" in failed.content.decode()


def test_editors_do_not_see_subscribers_addresses(client, issue):
    client.force_login(make_editor())
    assert client.get("/admin/feeds/subscriber/").status_code == 403
    deliveries = client.get("/admin/feeds/delivery/").content.decode()
    assert "sent@example.org" not in deliveries


def test_staff_outside_the_editors_see_no_digest(client, issue):
    client.force_login(make_staff_without_group())
    assert client.get("/admin/feeds/digest/").status_code == 403


def test_an_editor_sends_a_test_of_an_issue_to_themselves(client, issue):
    editor = make_editor()
    client.force_login(editor)
    response = client.post(
        "/admin/feeds/digest/",
        {
            "action": "send_test",
            "_selected_action": [issue.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == [editor.email]
    assert message.subject.startswith("[TEST] ")
    assert Delivery.objects.filter(digest=issue).count() == 2  # no delivery for a test


def test_publishing_from_the_admin_makes_one_issue(client, world, superuser):
    last_week = timezone.now() - datetime.timedelta(weeks=1)
    record_at(last_week)
    week = weeks.week_of(last_week)
    client.force_login(superuser)
    assert client.get("/admin/feeds/digest/publish/").status_code == 200
    client.post("/admin/feeds/digest/publish/", {"week": week})
    client.post("/admin/feeds/digest/publish/", {"week": week})
    assert Digest.objects.filter(week=week).count() == 1
    # The week in progress is refused, with when it ends.
    current = weeks.week_of(timezone.now())
    refused = client.post("/admin/feeds/digest/publish/", {"week": current}, follow=True)
    assert "still in progress" in refused.content.decode()
    assert not Digest.objects.filter(week=current).exists()
    bad = client.post("/admin/feeds/digest/publish/", {"week": "next week"})
    assert bad.status_code == 200 and "week" in bad.context["form"].errors


def test_editors_cannot_publish(client, world):
    client.force_login(make_editor())
    assert client.get("/admin/feeds/digest/publish/").status_code == 403


def test_deleting_a_subscriber_in_the_admin_erases_them(client, issue, superuser):
    reader = Subscriber.objects.get(email="sent@example.org")
    client.force_login(superuser)
    client.post(f"/admin/feeds/subscriber/{reader.pk}/delete/", {"post": "yes"})
    assert not Subscriber.objects.filter(email="sent@example.org").exists()
    assert Delivery.objects.filter(digest=issue, subscriber=None, status="sent").count() == 1
