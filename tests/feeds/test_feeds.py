"""RSS, Atom and iCalendar, tested by parsing them as readers' software does."""

import datetime
import xml.etree.ElementTree as ET

import feedparser
import icalendar
import pytest
from django.core.cache import cache
from django.utils import timezone

from feeds import tasks, weeks
from tests.feeds.conftest import record
from timeline import commands, projections
from timeline.models import Event

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
FEEDS = [
    "/feeds/timeline.rss",
    "/feeds/timeline.atom",
    "/feeds/topics/epca.rss",
    "/feeds/topics/epca.atom",
    "/feeds/digests.rss",
    "/feeds/digests.atom",
]


@pytest.fixture
def site(world, settings):
    settings.SITE_URL = SITE
    settings.SITE_DOMAIN = "127.0.0.1"
    development = record(title="Signature de l'APCR", topics=["epca"])
    tasks.digest_publish_and_fan_out(force=True, week=weeks.week_of(development.first_recorded_at))
    return development


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return feedparser.parse(response.content)


@pytest.mark.parametrize("path", FEEDS)
def test_every_feed_parses_without_error_with_absolute_links_and_ids(client, site, path):
    response = client.get(path)
    kind = "atom" if path.endswith(".atom") else "rss"
    assert response["Content-Type"].startswith(f"application/{kind}+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("atom10" if kind == "atom" else "rss20")
    assert feed.feed.language == "fr"
    assert any(link.rel == "self" and link.href == SITE + path for link in feed.feed.links)
    assert feed.feed.link.startswith(SITE) and not feed.feed.link.startswith(SITE + "/feeds/")
    assert feed.entries
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:")
        assert entry.link.startswith(SITE + "/")
        dated = entry.get("updated_parsed" if kind == "atom" else "published_parsed")
        assert dated is not None


def test_entries_carry_their_topics_as_categories(client, site):
    entry = parse(client, "/feeds/timeline.atom").entries[0]
    assert {tag.term for tag in entry.tags} == {"epca"}
    assert parse(client, "/feeds/timeline.rss").entries[0].tags[0].term == "APCR"


def test_a_topic_feed_holds_only_its_topic(client, site):
    record(title="Visas seulement", topics=["visa-facilitation"])
    titles = [e.title for e in parse(client, "/feeds/topics/epca.atom").entries]
    assert titles == ["Signature de l'APCR"]
    assert client.get("/feeds/topics/no-such-topic.rss").status_code == 404


def test_a_corrected_entry_keeps_its_id_and_shows_when_it_changed(client, site):
    before_atom = parse(client, "/feeds/timeline.atom").entries[0]
    before_rss = parse(client, "/feeds/timeline.rss").entries[0]
    commands.development_correct(
        id=site.id,
        expected_version=1,
        changes={"title": "Signature de l'APCR à Bruxelles"},
        note="Le lieu manquait.",
        by="alice",
        via="admin",
    )
    after_atom = parse(client, "/feeds/timeline.atom").entries[0]
    after_rss = parse(client, "/feeds/timeline.rss").entries[0]
    assert before_atom.id == after_atom.id == f"urn:uuid:{site.id}"
    assert before_rss.id == after_rss.id == f"urn:uuid:{site.id}"
    assert after_atom.title == "Signature de l'APCR à Bruxelles"
    updated = datetime.datetime.fromisoformat
    assert updated(after_atom.updated) > updated(before_atom.updated)
    assert after_atom.published_parsed == before_atom.published_parsed


def test_a_retracted_entry_says_so(client, site):
    commands.development_retract(
        id=site.id,
        expected_version=1,
        reason="La signature n'a pas eu lieu.",
        by="alice",
        via="admin",
    )
    for path in ("/feeds/timeline.atom", "/feeds/timeline.rss"):
        entry = parse(client, path).entries[0]
        assert entry.id == f"urn:uuid:{site.id}"
        assert entry.title == "[Retiré] Signature de l'APCR"
        assert "La signature n'a pas eu lieu." in entry.summary


def test_each_issue_is_an_item_of_the_digests_feed(client, site):
    entry = parse(client, "/feeds/digests.rss").entries[0]
    assert entry.title == "Quoi de neuf au Kazakhstan cette semaine ? Numéro 1"
    assert entry.link == f"{SITE}/digests/1/"


def test_editors_text_stays_text_in_the_feeds(client, world):
    record(title="<b>gras</b>", summary="<script>alert(1)</script>")
    root = ET.fromstring(client.get("/feeds/timeline.atom").content)
    entry = root.find(f"{ATOM_NS}entry")
    assert entry.find(f"{ATOM_NS}title").text == "<b>gras</b>"  # a text construct
    html = entry.find(f"{ATOM_NS}content").text  # type="html": markup, once unescaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


def test_it_answers_304_while_nothing_changed_and_rebuilds_after_a_new_event(client, site):
    first = client.get("/feeds/timeline.atom")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/feeds/timeline.atom", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/feeds/timeline.atom", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    record(title="Un nouveau développement")
    fresh = client.get("/feeds/timeline.atom", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    assert "Un nouveau développement" in [e.title for e in feedparser.parse(fresh.content).entries]


# --- iCalendar --------------------------------------------------------------------------


def events_by_uid(client) -> dict:
    response = client.get("/feeds/upcoming.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_calendar_follows_a_scheduled_development_through_its_changes(client, world, settings):
    settings.SITE_DOMAIN = "kztrack.example"
    day = timezone.localdate() + datetime.timedelta(days=10)
    development = record(
        title="Conseil de coopération", status="scheduled", date=day.isoformat(), place="Bruxelles"
    )
    uid = f"{development.id}@kztrack.example"

    event = events_by_uid(client)[uid]
    assert event.decoded("DTSTART") == day
    assert event.decoded("DTEND") == day + datetime.timedelta(days=1)  # all day
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["LOCATION"]) == "Bruxelles"

    new_day = day + datetime.timedelta(days=7)
    commands.development_reschedule(
        id=development.id, expected_version=1, date=new_day.isoformat(), by="alice", via="admin"
    )
    event = events_by_uid(client)[uid]
    assert event.decoded("DTSTART") == new_day
    assert int(event["SEQUENCE"]) == 1

    commands.development_cancel(
        id=development.id, expected_version=2, reason="Reporté.", by="alice", via="admin"
    )
    event = events_by_uid(client)[uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) >= 1


def test_a_vague_date_is_no_calendar_event(client, world):
    # "About March" is a date still to be specified: the upcoming page lists it, not the
    # calendar, which would show it as a month-long event.
    year = timezone.localdate().year + 1
    vague = record(title="Sommet vers mars", status="scheduled", date=f"{year}-03~")
    exact = record(title="Sommet le 3 mars", status="scheduled", date=f"{year}-03-03")
    uids = " ".join(events_by_uid(client))
    assert str(vague.id) not in uids
    assert str(exact.id) in uids


def test_the_calendar_answers_304_to_a_matching_etag(client, world):
    record(status="scheduled", date=(timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    etag = client.get("/feeds/upcoming.ics")["ETag"]
    assert client.get("/feeds/upcoming.ics", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_conditional_request_is_answered_from_the_log_stamp_without_a_query(
    client, site, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The projection keeps the log's stamp in the cache after each append, so a feed
    reader polling with its ETag costs one cache read and no SQL."""
    etag = client.get("/feeds/timeline.rss")["ETag"]
    with django_assert_num_queries(0):
        response = client.get("/feeds/timeline.rss", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    with django_capture_on_commit_callbacks(execute=True):
        record(title="Nouveau")  # its stamp reaches the cache when the append commits
    last = Event.objects.order_by("-position").first()
    assert cache.get(projections.stamp_key()) == (last.position, last.recorded_at)
    stale = client.get("/feeds/timeline.rss", HTTP_IF_NONE_MATCH=etag)
    assert stale.status_code == 200 and b"Nouveau" in stale.content
    assert stale["ETag"] != etag
    with django_assert_num_queries(0):
        assert (
            client.get("/feeds/timeline.rss", HTTP_IF_NONE_MATCH=stale["ETag"]).status_code == 304
        )
