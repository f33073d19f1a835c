"""schema.org JSON-LD for a development's page: the page (a WebPage, which can carry
corrections), about the Event. Dates keep the precision they were written with; a window
(one moment somewhere in it) gives only what all of it shares — "2023-05" for a day between
the 16th and the 20th of May — and no end, since it did not last. Addresses are on SITE_URL,
whatever host the request came in by."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from timeline import dates
from timeline.models import Development, ShownStatus
from timeline.selectors import HistoryEntry

_EVENT_STATUS = {
    ShownStatus.SCHEDULED: "https://schema.org/EventScheduled",
    ShownStatus.CANCELLED: "https://schema.org/EventCancelled",
}


def _iso(point: dates.EdtfDate, *, end: bool) -> str:
    """ISO 8601 at the date's own precision: 2023-05-16, 2022-10 or 2015."""
    day = point.upper if end else point.lower
    if point.precision == "day":
        return day.isoformat()
    if point.precision == "year":
        return str(day.year)
    if point.precision == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()  # a season: its first or last day


def _shared(lower, upper) -> str:
    """The most precise ISO date both days share: '2023-05-16', '2023-05', '2023' or ''."""
    if lower == upper:
        return lower.isoformat()
    if (lower.year, lower.month) == (upper.year, upper.month):
        return lower.strftime("%Y-%m")
    return str(lower.year) if lower.year == upper.year else ""


def _start_end(text: str) -> tuple[str, str]:
    parsed = dates.parse(text)
    if parsed.meaning == dates.WINDOW:
        return _shared(parsed.lower, parsed.upper), ""
    ends = text.split("/")
    if len(ends) == 2:
        return _iso(dates.parse(ends[0]), end=False), _iso(dates.parse(ends[1]), end=True)
    return _iso(parsed, end=False), _iso(parsed, end=True)


def development_jsonld(development: Development, history: list[HistoryEntry]) -> dict[str, Any]:
    d = development
    url = settings.SITE_URL + reverse("timeline:development", args=[d.id])
    start, end = _start_end(d.date)
    event: dict[str, Any] = {
        "@type": "Event",
        "@id": f"{url}#event",
        "name": d.title,
        "description": d.summary,
        "url": url,
    }
    if start:
        event["startDate"] = start
    if end:
        event["endDate"] = end
    if dates.meaning(d.date) == dates.WINDOW:
        # schema.org has no window: say it in words, as the page does.
        event["disambiguatingDescription"] = dates.display(d.date, "fr")
    if d.place:
        event["location"] = {"@type": "Place", "name": d.place}
    if d.shown_status in _EVENT_STATUS:
        event["eventStatus"] = _EVENT_STATUS[ShownStatus(d.shown_status)]
    if d.shown_status == ShownStatus.SCHEDULED and d.reschedulings:
        event["eventStatus"] = "https://schema.org/EventRescheduled"
    performers = [
        {"@type": "Person" if r.actor.kind == "person" else "Organization", "name": r.actor.name}
        for r in d.roles.all()
    ]
    if performers:
        event["performer"] = performers
    page: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "url": url,
        "name": d.title,
        "about": event,
        "dateCreated": d.first_recorded_at.isoformat(),
        "dateModified": d.updated_at.isoformat(),
        "citation": [
            {
                "@type": "CreativeWork",
                "name": s.get("title") or s.get("publication", ""),
                **({"url": s["url"]} if s.get("url") else {}),
                **({"publisher": s["publication"]} if s.get("publication") else {}),
            }
            for s in d.sources
        ],
    }
    corrections = [
        {
            "@type": "CorrectionComment",
            "text": entry.note or entry.reason,
            "datePublished": entry.recorded_at.isoformat(),
        }
        for entry in history
        if entry.action in ("corrected", "retracted") and (entry.note or entry.reason)
    ]
    if corrections:
        page["correction"] = corrections
    return page
