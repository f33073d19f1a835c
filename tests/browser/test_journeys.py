"""Three people's journeys in a real browser, each step photographed under
tests/artifacts/browser/: an editor, a reader, a subscriber."""

import re

import feedparser
import pytest
from django.core import mail
from django.utils import timezone

from feeds.models import Subscriber
from tests.base import make_editor
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse 42"  # tests.base.make_editor's
TITLE = "Réunion du Conseil de coopération UE–Kazakhstan à Bruxelles"
CORRECTED_PLACE = "Astana"


def choose(page, select_id: str, typed: str, shown: str) -> None:
    """Pick an option in one of the admin's autocomplete (select2) fields, as a person
    does: open it, type, click the suggestion."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.keyboard.type(typed)
    page.click(f".select2-results__option:has-text('{shown}')")


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.shot("login")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def test_an_editor_records_and_corrects_and_a_reader_finds_it(page, live_server, world):
    base = live_server.url
    make_editor("alice")

    # The editor logs in and records a development.
    log_in(page, base, "alice")
    page.goto(f"{base}/admin/timeline/development/add/")
    page.fill("#id_title", TITLE)
    page.select_option("#id_kind", "meeting")
    page.fill("#id_date", "2026-03-27")
    page.select_option("#id_status", "took_place")
    page.fill("#id_place", "Bruxelles")
    choose(page, "id_topics", "APCR", "APCR")
    page.fill("#id_summary", "Les deux parties font le point sur l'APCR.")
    choose(page, "id_actors-0-actor", "Vassil", "Roman Vassilenko")
    page.fill("#id_actors-0-role", "vice-ministre des Affaires étrangères")
    page.fill("#id_sources-0-publication", "Le Soir")
    page.fill("#id_sources-0-title", "Le Kazakhstan et l'UE")
    page.fill("#id_sources-0-date", "2026-03-28")
    page.fill("#id_sources-0-url", "https://example.org/article")
    page.fill("#id_sources-0-quote", "Une citation qui appuie le fait.")
    page.shot("record-filled")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    page.shot("recorded")
    development = Development.objects.get()
    assert (development.title, development.version) == (TITLE, 1)

    # ... corrects the place with a public note ...
    page.goto(f"{base}/admin/timeline/development/{development.pk}/change/")
    page.fill("#id_place", CORRECTED_PLACE)
    page.fill("textarea[name=note]", "Le conseil s'est tenu à Astana, pas à Bruxelles.")
    page.shot("correct-filled")
    page.click("input[name=_continue], input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # ... and sees both events in the history, newest with the note.
    page.goto(f"{base}/admin/timeline/development/{development.pk}/change/")
    history = page.locator("#history")
    history.scroll_into_view_if_needed()
    page.shot("history")
    text = history.inner_text()
    assert "Astana, pas à Bruxelles" in text
    assert len(history.locator("tbody tr").all()) >= 2
    assert Event.objects.filter(stream_id=development.pk).count() == 2

    # A reader finds it on the timeline ...
    page.goto(f"{base}/")
    page.shot("timeline")
    link = page.get_by_role("link", name=TITLE).first
    assert link.is_visible()
    # ... opens its page, which shows the correction ...
    link.click()
    page.wait_for_url(re.compile(rf".*/developments/{development.pk}/"))
    page.shot("development")
    body = page.inner_text("body")
    assert TITLE in body and CORRECTED_PLACE in body
    assert "Astana, pas à Bruxelles" in body
    # ... and in the feed.
    feed = page.request.get(f"{base}/feeds/timeline.rss")
    assert feed.ok
    entries = feedparser.parse(feed.body()).entries
    assert [e.title for e in entries] == [TITLE]
    page.goto(f"{base}/feeds/timeline.atom")
    page.shot("feed")


def first_link(message, path: str) -> str:
    match = re.search(rf"https?://[^\s\"<>]+{path}[^\s\"<>]*", message.body)
    assert match, message.body
    return match.group(0)


def test_a_subscriber_subscribes_confirms_changes_preferences_and_leaves(
    page, live_server, world, settings
):
    from django.core.cache import cache

    from kztrack.celery import app

    base = live_server.url
    settings.SITE_URL = base  # the links in the emails point at this server
    cache.clear()  # the subscribe form's rate limit counts in the cache
    # The confirmation email is a Celery task; run it in the web process for this test.
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        page.goto(f"{base}/subscribe/")
        page.fill("input[name=email]", "lecteur@example.org")
        page.check("input[name=language][value=fr]")
        page.check("input[name=scope][value=all]")
        page.shot("subscribe")
        page.click("form.subscribe button[type=submit]")
        page.wait_for_load_state()
        page.shot("subscribe-sent")
    finally:
        app.conf.task_always_eager = eager
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None

    # The confirmation email holds the link; the page behind it asks before confirming.
    [message] = mail.outbox
    assert message.to == ["lecteur@example.org"]
    page.goto(first_link(message, "/subscribe/confirm/"))
    page.shot("confirm")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.shot("confirmed")
    subscriber.refresh_from_db()
    assert subscriber.is_active

    # Preferences: English, one topic.
    page.click("a[href*='/subscribe/preferences/']")
    page.check("input[name=language][value=en]")
    page.check("input[name=scope][value=some]")
    page.check("input[name=topics][value=visa-facilitation]")
    page.shot("preferences")
    page.click("form.subscribe button[type=submit]")
    page.wait_for_selector("[role=status]")
    page.shot("preferences-saved")
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
    assert subscriber.topic_slugs() == ["visa-facilitation"]

    # Unsubscribe: the link asks, the button does it.
    page.click("a[href*='/unsubscribe/']")
    page.shot("unsubscribe")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.shot("unsubscribed")
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    assert subscriber.unsubscribed_at <= timezone.now()


def test_the_api_docs_work_under_the_content_security_policy(page, live_server):
    """Swagger UI is served from this site (no CDN) and runs without a CSP violation."""
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock")
    page.shot("api-docs")
    assert page.locator(".swagger-ui .opblock").count() >= 10
