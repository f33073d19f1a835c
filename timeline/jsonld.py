"""schema.org JSON-LD for a development's page: the page (a WebPage, which can carry
corrections), about the Event. Dates keep the precision they were written with."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from timeline import dates
from timeline.models import Development, Status
from timeline.selectors import HistoryEntry

_EVENT_STATUS = {
    Status.SCHEDULED: "https://schema.org/EventScheduled",
    Status.CANCELLED: "https://schema.org/EventCancelled",
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


def _start_end(text: str) -> tuple[str, str]:
    ends = text.split("/")
    if len(ends) == 2:
        return _iso(dates.parse(ends[0]), end=False), _iso(dates.parse(ends[1]), end=True)
    parsed = dates.parse(text)
    return _iso(parsed, end=False), _iso(parsed, end=True)


def development_jsonld(
    request: HttpRequest, development: Development, history: list[HistoryEntry]
) -> dict[str, Any]:
    d = development
    url = request.build_absolute_uri(reverse("timeline:development", args=[d.id]))
    start, end = _start_end(d.date)
    event: dict[str, Any] = {
        "@type": "Event",
        "@id": f"{url}#event",
        "name": d.title,
        "description": d.summary,
        "startDate": start,
        "endDate": end,
        "url": url,
    }
    if d.place:
        event["location"] = {"@type": "Place", "name": d.place}
    if d.status in _EVENT_STATUS:
        event["eventStatus"] = _EVENT_STATUS[Status(d.status)]
    if d.status == Status.SCHEDULED and d.reschedulings:
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
