"""RSS 2.0 and Atom 1.0 (feedgen), iCalendar (icalendar), and their cache.

Entry ids are `urn:uuid:<development id>` (and the issue's uuid for digests): they never
change, whatever is corrected, so readers update an entry instead of showing a new one.
Documents are cached under a key holding the log's last position and time (the stamp
the projection keeps in the cache), so the first request after a new event builds
afresh. The ETag is a hash of that key: a conditional request is answered from the
stamp alone (`timeline_validators`: one cache read), before any document is read.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from feedgen.feed import FeedGenerator

from feeds.models import Digest
from feeds.sanitise import feed_text
from timeline import dates, selectors

CACHE_SECONDS = 3600  # also bounds how long a renamed topic shows its old name
FEED_LENGTH = 50
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
ICS = "text/calendar; charset=utf-8"

# Domain wording, French like the content (the feeds declare language fr).
_PREFIX: dict[str, str] = {
    selectors.ShownStatus.RETRACTED: "[Retiré] ",
    selectors.ShownStatus.CANCELLED: "[Annulé] ",
    selectors.ShownStatus.AWAITING_CONFIRMATION: "[À confirmer] ",
}
_AWAITING = (
    "À confirmer : la date est passée et la rédaction n'a pas encore confirmé que cela a eu "
    "lieu, ni annoncé d'annulation ou de report."
)


@dataclass(frozen=True)
class Validators:
    """What a conditional request is compared with: a document's ETag and date."""

    etag: str
    last_modified: datetime.datetime


@dataclass(frozen=True)
class Document(Validators):
    body: bytes


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _digest(parts: list[object]) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _validators(parts: list[object], last_modified: datetime.datetime | None) -> Validators:
    return Validators(etag=f'"{_digest(parts)[:32]}"', last_modified=last_modified or EPOCH)


def _cached(
    parts: list[object], build: Callable[[], bytes], last_modified: datetime.datetime | None
) -> Document:
    key = "feeds:doc:" + _digest(parts)
    document = cache.get(key)
    if document is None:
        validators = _validators(parts, last_modified)
        document = Document(
            body=build(), etag=validators.etag, last_modified=validators.last_modified
        )
        cache.set(key, document, CACHE_SECONDS)
    return document


def _log_stamp() -> tuple[list[object], datetime.datetime | None]:
    """Cache-key parts that change with every appended event (and with the database)."""
    position, changed = selectors.log_stamp()
    stamp = [
        settings.DATABASES["default"]["NAME"],
        position,
        changed.timestamp() if changed else 0,
    ]
    return stamp, changed


# --- RSS and Atom -----------------------------------------------------------------------


def _feed(*, path: str, fmt: str, title: str, description: str, home: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(_url(path.rsplit(".", 1)[0]))  # the same id for the RSS and Atom forms
    fg.title(feed_text(title))
    fg.subtitle(feed_text(description))
    fg.description(feed_text(description))
    fg.link(
        href=_url(path), rel="self", type=ATOM.split(";")[0] if fmt == "atom" else RSS.split(";")[0]
    )
    fg.link(href=_url(home), rel="alternate")  # last: feedgen makes it the RSS <link>
    fg.language("fr")
    fg.author({"name": "kztrack"})
    fg.generator("kztrack")
    return fg


def _serialise(fg: FeedGenerator, fmt: str, updated: datetime.datetime | None) -> bytes:
    # Fixed dates, not "now", so one state of the log gives one body and one ETag.
    fg.updated(updated or EPOCH)
    fg.lastBuildDate(updated or EPOCH)
    return fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)


def _development_html(development, news: selectors.News | None) -> str:
    parts = [
        format_html(
            "<p><strong>{}</strong>{}</p>",
            dates.display(development.date),
            format_html(" — {}", development.place) if development.place else "",
        )
    ]
    if development.status in (selectors.Status.RETRACTED, selectors.Status.CANCELLED):
        label = "Retiré" if development.status == selectors.Status.RETRACTED else "Annulé"
        parts.append(
            format_html("<p><strong>{} :</strong> {}</p>", label, development.status_reason)
        )
    if development.awaiting_confirmation:
        parts.append(format_html("<p><strong>{}</strong></p>", _AWAITING))
    if development.summary:
        parts.append(format_html("<p>{}</p>", development.summary))
    if development.sources:
        parts.append(
            format_html(
                "<p>Sources : {}</p>",
                format_html_join(" ; ", "{}", ((_source_text(s),) for s in development.sources)),
            )
        )
    if news is not None and news.action != "recorded":
        # What the last change was, so a reader whose feed reader shows the entry again
        # sees why; the label comes from the event-type registry.
        parts.append(
            format_html(
                "<p>Dernière modification : {}{}</p>",
                news.label("fr"),
                format_html(" — {}", news.note) if news.note else "",
            )
        )
    if development.corrections:
        parts.append(
            format_html("<p>Corrigé ({}) : voir l'historique.</p>", development.corrections)
        )
    return "".join(parts)


def _source_text(source: dict) -> str:
    return ", ".join(
        p for p in (source.get("publication"), source.get("title"), source.get("date")) if p
    )


def _development_summary(development) -> str:
    summary = f"{dates.display(development.date)} — {development.summary}".strip(" —")
    if development.status == selectors.Status.RETRACTED:
        summary = f"Retiré : {development.status_reason} {summary}"
    elif development.status == selectors.Status.CANCELLED:
        summary = f"Annulé : {development.status_reason} {summary}"
    elif development.awaiting_confirmation:
        summary = f"{_AWAITING} {summary}"
    return summary


def _add_development(fg: FeedGenerator, development, news: selectors.News | None) -> None:
    fe = fg.add_entry(order="append")
    fe.id(f"urn:uuid:{development.id}")
    fe.title(feed_text(_PREFIX.get(development.shown_status, "") + development.title))
    fe.link(href=_url(f"/developments/{development.id}/"), rel="alternate")
    fe.summary(feed_text(_development_summary(development)))
    fe.content(feed_text(_development_html(development, news)), type="html")
    fe.published(development.first_recorded_at)
    fe.updated(development.updated_at)
    for topic in development.topics.all():
        fe.category(term=topic.slug, label=feed_text(topic.name_fr), scheme=_url("/topics/"))


def _timeline_parts(fmt: str, topic) -> tuple[list[object], datetime.datetime | None]:
    stamp, changed = _log_stamp()
    return ["timeline", fmt, topic.pk if topic else "", *stamp], changed


def timeline_validators(*, fmt: str, topic=None) -> Validators:
    """The ETag and date `timeline_feed` would give now, without reading the document."""
    return _validators(*_timeline_parts(fmt, topic))


def timeline_feed(*, fmt: str, topic=None) -> Document:
    """The developments changed most recently, all topics or one (fmt 'rss' or 'atom')."""
    parts, changed = _timeline_parts(fmt, topic)
    if topic is None:
        path, home = f"/feeds/timeline.{fmt}", "/"
        title = "kztrack — Kazakhstan et Union européenne"
        description = (
            "Les développements des relations entre le Kazakhstan et l'Union "
            "européenne, les plus récemment mis à jour d'abord."
        )
    else:
        path, home = f"/feeds/topics/{topic.slug}.{fmt}", f"/topics/{topic.slug}/"
        title = f"kztrack — {topic.name_fr}"
        description = topic.description_fr or f"Le fil « {topic.name_fr} » de kztrack."

    def build() -> bytes:
        developments = selectors.feed_developments(topic=topic, limit=FEED_LENGTH)
        fg = _feed(path=path, fmt=fmt, title=title, description=description, home=home)
        news = selectors.last_news(ids=[d.id for d in developments])
        for development in developments:
            _add_development(fg, development, news.get(development.id))
        updated = max((d.updated_at for d in developments), default=None)
        return _serialise(fg, fmt, updated)

    return _cached(parts, build, changed)


def digests_feed(*, fmt: str) -> Document:
    """One entry per published issue, newest first, with its frozen HTML."""
    state = Digest.objects.aggregate(n=Count("id"), last=Max("published_at"))

    def build() -> bytes:
        fg = _feed(
            path=f"/feeds/digests.{fmt}",
            fmt=fmt,
            home="/digests/",
            title="Quoi de neuf au Kazakhstan cette semaine ?",
            description="La lettre hebdomadaire de kztrack : ce qui a changé dans les "
            "relations entre le Kazakhstan et l'Union européenne.",
        )
        issues = list(Digest.objects.order_by("-number")[:FEED_LENGTH])
        for digest in issues:
            fe = fg.add_entry(order="append")
            fe.id(f"urn:uuid:{digest.uuid}")
            fe.title(feed_text(digest.title))
            fe.link(href=_url(f"/digests/{digest.number}/"), rel="alternate")
            fe.summary(feed_text(digest.text[:500]))
            fe.content(feed_text(digest.html), type="html")
            fe.published(digest.published_at)
            fe.updated(digest.published_at)
        return _serialise(fg, fmt, state["last"])

    parts = ["digests", fmt, settings.DATABASES["default"]["NAME"], state["n"], state["last"]]
    return _cached(parts, build, state["last"])


# --- iCalendar --------------------------------------------------------------------------


def _calendar_status(development) -> str:
    if development.status in (selectors.Status.CANCELLED, selectors.Status.RETRACTED):
        return "CANCELLED"
    if development.status == selectors.Status.TOOK_PLACE:
        return "CONFIRMED"
    parsed = dates.parse(development.date)
    vague = parsed.approximate or parsed.uncertain or parsed.precision not in ("day", "interval")
    return "TENTATIVE" if vague else "CONFIRMED"


def upcoming_calendar() -> Document:
    """What is coming, as all-day VEVENTs: developments not yet past whose date is a day or
    a span of at most 31 days (a month, a season or a window is no calendar event; the
    upcoming page lists them as "date to be specified").

    UID is the development's id; SEQUENCE counts the changes a calendar shows (reschedule,
    confirmation, cancellation, retraction, a corrected title, date or place), so a
    calendar that already has the event replaces it (RFC 5545).
    """
    stamp, changed = _log_stamp()
    today = timezone.localdate()

    def build() -> bytes:
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//kztrack//upcoming//FR")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", "kztrack — à venir")
        calendar.add("x-wr-timezone", "Europe/Brussels")
        developments = selectors.calendar_developments(since=today)
        sequences = selectors.calendar_sequences(ids=[d.id for d in developments])
        for development in developments:
            event = icalendar.Event()
            event.add("uid", f"{development.id}@{settings.SITE_DOMAIN}")
            event.add(
                "summary", feed_text(_PREFIX.get(development.shown_status, "") + development.title)
            )
            event.add("dtstart", development.date_lower)
            event.add("dtend", development.date_upper + datetime.timedelta(days=1))
            event.add("dtstamp", development.updated_at)
            event.add("created", development.first_recorded_at)
            event.add("last-modified", development.updated_at)
            event.add("sequence", sequences[development.id])
            event.add("status", _calendar_status(development))
            event.add("transp", "TRANSPARENT")
            event.add("description", feed_text(_development_summary(development)))
            event.add("url", _url(f"/developments/{development.id}/"))
            if development.place:
                event.add("location", feed_text(development.place))
            calendar.add_component(event)
        return calendar.to_ical()

    return _cached(["calendar", today, *stamp], build, changed)
