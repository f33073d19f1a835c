"""Hostile text through every editor field and the subscribe form.

What an editor may legitimately type (markup, quotes, right-to-left marks, emoji, line
breaks in long text) is kept exactly and shown escaped everywhere: pages, admin, feeds,
the calendar, the API, the digest and its email. What no field may hold (NUL and other
control characters, line breaks in one-line fields, oversize text) is refused with an
error that names the field.
"""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from email import message_from_bytes
from html.parser import HTMLParser

import feedparser
import icalendar
import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from feeds import deliveries, tasks, weeks
from feeds.models import Delivery, Subscriber
from tests.base import development_fields, make_editor
from timeline import auth, commands
from timeline.models import Development, Event

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("kz")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
QUOTES = 'l\'été "chaud" `tick` &amp; &lt;b&gt; ]]> <![CDATA[ x'
RTL = "\u202egnp.exe\u202c \u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
EMOJI = "\U0001f1f0\U0001f1ff\U0001f1ea\U0001f1fa \U0001f469\u200d\U0001f469\u200d\U0001f467"
SEPARATORS = "a\u2028b\u2029c"
# Text an editor can type in a one-line field: all of the above, on one line.
ONE_LINE = f"{SCRIPT} {ATTRIBUTE} {QUOTES} {RTL} {EMOJI} {SEPARATORS}"
# Long text keeps its line breaks (CRLF is stored as LF), and tries to break out of ICS.
MULTI_LINE = f"{ONE_LINE}\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT\r\n{SCRIPT}"

NUL = "avant\x00après"
BELL = "ding\x07"
CRLF_HEADER = "Titre\r\nBcc: victim@example.org"
NONCHARACTER = "fin\uffff"  # valid Python text, but no XML document may hold it
BIG = "x" * 100_000


@pytest.fixture
def token(db):
    _, raw = auth.token_create(user=make_editor("fuzzer"), name="hostile")
    return raw


def api_post(client, token, fields):
    return client.post(
        "/api/v1/developments",
        json.dumps(fields),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def fields_with(field: str, value: str) -> dict:
    """A valid development with `value` in one field, however deep it sits."""
    fields = development_fields()
    if field.startswith("sources."):
        fields["sources"][0][field.split(".", 1)[1]] = value
    elif field == "actors.role":
        fields["actors"][0]["role"] = value
    else:
        fields[field] = value
    return fields


def error_fields(response) -> set[str]:
    body = response.json()
    errors = body["errors"]
    if isinstance(errors, dict):
        return set(errors)
    return {e["field"] for e in errors}


# --- refused, with the field named ------------------------------------------------------

ONE_LINE_FIELDS = [
    "title",
    "place",
    "date_note",
    "actors.role",
    "sources.publication",
    "sources.title",
    "sources.author",
]
LONG_FIELDS = ["summary", "sources.quote"]


@pytest.mark.parametrize("field", ONE_LINE_FIELDS + LONG_FIELDS)
@pytest.mark.parametrize(
    "value", [NUL, BELL, NONCHARACTER, BIG], ids=["NUL", "bell", "U+FFFF", "100KB"]
)
def test_the_api_refuses_control_characters_and_oversize_naming_the_field(
    client, world, token, field, value
):
    response = api_post(client, token, fields_with(field, value))
    assert response.status_code == 422, response.content[:300]
    assert field.split(".")[0] in error_fields(response)
    assert Event.objects.count() == 0


@pytest.mark.parametrize("field", ["title", "summary", "place"])
def test_the_api_refuses_a_lone_surrogate_naming_the_field(client, world, token, field):
    """JSON can spell "\\ud800"; PostgreSQL cannot store it: a 422, not a 500."""
    body = json.dumps(fields_with(field, "PLACEHOLDER")).replace("PLACEHOLDER", "a\\ud800b")
    response = client.post(
        "/api/v1/developments",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert field in error_fields(response)


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
def test_one_line_fields_refuse_line_breaks(client, world, token, field):
    response = api_post(client, token, fields_with(field, CRLF_HEADER))
    assert response.status_code == 422
    assert field.split(".")[0] in error_fields(response)


def test_oversize_errors_say_the_limit(client, world, token):
    response = api_post(client, token, fields_with("title", BIG))
    message = " ".join(e["message"] for e in response.json()["errors"])
    assert "At most 200 characters" in message


@pytest.mark.parametrize("value", [NUL, BIG, CRLF_HEADER], ids=["NUL", "100KB", "CRLF"])
def test_the_admin_form_refuses_them_on_the_field(world, editor, value):
    from tests.timeline.test_admin import add_form_data

    client = Client()
    client.force_login(editor)
    response = client.post("/admin/timeline/development/add/", add_form_data(world, title=value))
    assert response.status_code == 200
    assert "title" in response.context["adminform"].form.errors
    assert Event.objects.count() == 0


@pytest.mark.parametrize("reason", [NUL, "x" * 100_000], ids=["NUL", "100KB"])
def test_notes_and_reasons_refuse_them_too(world, reason):
    development = commands.development_record(fields=development_fields(), by="alice", via="admin")
    with pytest.raises(Exception) as refused:
        commands.development_retract(
            id=development.id, expected_version=1, reason=reason, by="alice", via="admin"
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(Exception) as refused:
        commands.development_correct(
            id=development.id,
            expected_version=1,
            changes={"place": "Astana"},
            note=reason,
            by="alice",
            via="admin",
        )
    assert "note" in refused.value.message_dict


# --- accepted, kept exactly, shown escaped ----------------------------------------------


@pytest.fixture
def hostile(world, token, client):
    """A scheduled development with hostile text in every field, corrected with a hostile
    note, recorded through the API as an automation would."""
    fields = development_fields(
        title=ONE_LINE[:200],
        summary=MULTI_LINE,
        place=ONE_LINE[:200],
        date_note=ONE_LINE[:200],
        status="scheduled",
        # A day ten days ahead: the calendar holds it and the digest's agenda lists it.
        date=(timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        actors=[{"actor": "roman-vassilenko", "role": ONE_LINE[:200]}],
        sources=[
            {
                "publication": ONE_LINE[:200],
                "title": ONE_LINE[:200],
                "author": SCRIPT,
                "date": "2026-03-02",
                "url": "https://example.org/?q=%3Cscript%3E&a=1",
                "quote": MULTI_LINE,
            }
        ],
    )
    response = api_post(client, token, fields)
    assert response.status_code == 201, response.content[:500]
    development = Development.objects.get()
    return commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"summary": MULTI_LINE + " (bis)"},
        note=MULTI_LINE,
        by="alice",
        via="admin",
    )


class Page(HTMLParser):
    """What a browser would run or load from the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if tag == "script":
            self.scripts.append(attributes)
            self._in_jsonld = attributes.get("type") == "application/ld+json"
        if tag == "img":
            self.images.append(attributes.get("src") or "")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data):
        (self.jsonld if self._in_jsonld else self.text).append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def assert_inert(html: str) -> Page:
    """No script but this site's files and JSON-LD data, no event handler, no injected image."""
    page = parse(html)
    for script in page.scripts:
        src = script.get("src") or ""
        same_site = src.startswith("/") and not src.startswith("//")
        assert script.get("type") == "application/ld+json" or same_site, script
    assert page.handlers == []
    assert "x" not in page.images
    for block in page.jsonld:
        json.loads(block)  # still data, not cut short by a </script> in the text
    return page


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pages_show_hostile_text_as_text(hostile, client, editor):
    editor_client = Client()
    editor_client.force_login(editor)
    urls = [
        (client, "/"),
        (client, "/topics/epca/"),
        (client, f"/developments/{hostile.id}/"),
        (editor_client, "/admin/timeline/development/"),
        (editor_client, f"/admin/timeline/development/{hostile.id}/change/"),
    ]
    for who, url in urls:
        response = who.get(url)
        assert response.status_code == 200, url
        page = assert_inert(response.content.decode())
        # Shown, not dropped: the title reads exactly as typed.
        assert normalised(SCRIPT) in normalised(" ".join(page.text)), url

    detail = parse(client.get(f"/developments/{hostile.id}/").content.decode())
    shown = normalised(" ".join(detail.text))
    assert normalised(ATTRIBUTE) in shown and EMOJI in shown and "\u05e9\u05dc\u05d5\u05dd" in shown
    assert any(hostile.title in block for block in detail.jsonld) or all(
        json.loads(b).get("name", hostile.title) for b in detail.jsonld
    )


def test_the_api_returns_the_text_exactly(hostile, client):
    body = client.get(f"/api/v1/developments/{hostile.id}").json()
    assert body["title"] == ONE_LINE[:200]
    assert body["summary"] == (MULTI_LINE + " (bis)").replace("\r\n", "\n")
    assert body["sources"][0]["quote"] == MULTI_LINE.replace("\r\n", "\n")


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/timeline.rss",
        "/feeds/timeline.atom",
        "/feeds/topics/epca.rss",
        "/feeds/topics/epca.atom",
    ],
)
def test_feeds_stay_well_formed_xml(hostile, client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200
    ET.fromstring(response.content)  # raises on anything not well-formed
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [entry.title for entry in parsed.entries]
    assert any(SCRIPT in title for title in titles)


def test_the_calendar_stays_valid_and_nothing_is_injected(hostile, client):
    cache.clear()
    response = client.get("/feeds/upcoming.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]).endswith(hostile.title)
    assert "BEGIN:VEVENT" in str(event["description"])  # kept as text, escaped
    lines = response.content.decode().split("\r\n")
    assert sum(line == "BEGIN:VEVENT" for line in lines) == 1
    assert not any(line.startswith("SUMMARY:injected") for line in lines)
    assert all(len(line.encode()) <= 75 for line in lines)  # folded as RFC 5545 says


def test_the_digest_page_feed_and_email_escape_it(hostile, client):
    subscriber = Subscriber.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    published = tasks.digest_publish_and_fan_out(force=True, week=weeks.week_of(timezone.now()))
    digest = published.digest
    assert digest is not None

    page = client.get(f"/digests/{digest.number}/")
    assert page.status_code == 200
    assert SCRIPT in " ".join(assert_inert(page.content.decode()).text)

    cache.clear()
    for url in ("/feeds/digests.rss", "/feeds/digests.atom"):
        feed = client.get(url)
        ET.fromstring(feed.content)
        assert not feedparser.parse(feed.content).bozo

    delivery = Delivery.objects.get(digest=digest, subscriber=subscriber)
    assert deliveries.delivery_send(delivery_id=delivery.id) is deliveries.Outcome.SENT
    [message] = mail.outbox
    raw = message.message().as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["To"] == "reader@example.org"
    assert parsed["Bcc"] is None and "victim" not in str(parsed.items())
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert SCRIPT not in html and "&lt;script&gt;" in html
    assert SCRIPT in message.body  # plain text carries it as text


# --- the subscribe form ---------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nCc: victim@example.org",
        "reader@example.org\x00",
        f"{SCRIPT}@example.org",
        "a" * 100_000 + "@example.org",
        "\u202ereader@example.org",
    ],
    ids=["CRLF-Bcc", "LF-Cc", "NUL", "script", "100KB", "RTL"],
)
def test_the_subscribe_form_refuses_hostile_addresses_and_sends_nothing(world, client, email):
    cache.clear()
    response = client.post("/subscribe/", {"email": email, "language": "fr", "scope": "all"})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert_inert(response.content.decode())
    assert Subscriber.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "reader@example.org\r\nBcc: victim@example.org"},
        {"email": "reader@example.org", "language": "fr\r\nBcc: victim@example.org"},
        {"email": "reader@example.org", "topics": [SCRIPT]},
        {"email": "a" * 100_000},
        {"email": "reader\ud800@example.org"},
    ],
    ids=["CRLF-email", "CRLF-language", "script-topic", "100KB", "lone-surrogate"],
)
def test_the_subscription_api_refuses_them_naming_the_field(world, client, payload):
    cache.clear()
    response = client.post(
        "/api/v1/subscriptions", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 422
    assert error_fields(response) & {"email", "language", "topics"}
    assert Subscriber.objects.count() == 0
