"""The timeline in TimelineJS3's JSON format, for newsrooms to embed.

TimelineJS renders `headline` and `text` as HTML, so everything editors typed is escaped
here, once (the JSON encoder adds nothing). Dates keep their true precision: a month stays a
month, a season spans its months, a span is a bar; a window (one moment somewhere in it) is
a single date, its start or its known end, with the window said in words in the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from timeline import dates
from timeline.models import Development, ShownStatus


def _tl_date(point: dates.EdtfDate, *, end: bool) -> dict[str, int]:
    """One TimelineJS date object with only the parts the EDTF date gives."""
    day = point.upper if end else point.lower
    if point.precision == "day":
        return {"year": day.year, "month": day.month, "day": day.day}
    if point.precision in ("month", "season"):
        return {"year": day.year, "month": day.month}
    return {"year": day.year}


def tl_dates(text: str) -> tuple[dict[str, int], dict[str, int] | None]:
    """(start_date, end_date) for an EDTF text; end_date is None for a single day, month
    or year, and for a window (never drawn as a bar: it did not last)."""
    parsed = dates.parse(text)
    if parsed.meaning == dates.WINDOW:
        day = parsed.anchor
        return {"year": day.year, "month": day.month, "day": day.day}, None
    ends = text.split("/")
    if len(ends) == 2:
        return (_tl_date(dates.parse(ends[0]), end=False), _tl_date(dates.parse(ends[1]), end=True))
    if parsed.precision == "season":
        return _tl_date(parsed, end=False), _tl_date(parsed, end=True)
    return _tl_date(parsed, end=False), None


def _html_text(text: str) -> str:
    """Text for a place TimelineJS reads as HTML: <, > and & escaped, and nothing more, so
    an apostrophe stays an apostrophe (TimelineJS shows a headline's entities as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKED = {
    ShownStatus.SCHEDULED,
    ShownStatus.AWAITING_CONFIRMATION,
    ShownStatus.CANCELLED,
    ShownStatus.RETRACTED,
}


def _headline(development: Development) -> str:
    headline = _html_text(development.title)
    if development.shown_status in _MARKED:
        headline += f" ({_html_text(str(development.shown_status_label))})"
    return headline


def _text(development: Development, link: str, lang: str) -> str:
    parts = []
    if dates.meaning(development.date) == dates.WINDOW:
        parts.append(f"<p>{_html_text(dates.display(development.date, lang))}</p>")
    if development.place:
        parts.append(f"<p><em>{_html_text(development.place)}</em></p>")
    if development.summary:
        parts.append(f"<p>{_html_text(development.summary).replace(chr(10), '<br>')}</p>")
    if development.status_reason:
        parts.append(f"<p>{_html_text(development.status_reason)}</p>")
    label = _html_text(_("Sources and history"))
    parts.append(f'<p><a href="{escape(link)}">{label}</a></p>')
    return "".join(parts)


def timelinejs(
    developments: Iterable[Development], *, lang: str, title: str, build_url: Any
) -> dict[str, Any]:
    """The document: a title slide and one event per development, grouped by first topic.
    `build_url(path)` makes the links absolute."""
    with translation.override(lang):
        items = []
        for d in developments:
            start, end = tl_dates(d.date)
            topics = list(d.topics.all())
            event: dict[str, Any] = {
                "start_date": start,
                "display_date": dates.display(d.date, lang),
                "text": {
                    "headline": _headline(d),
                    "text": _text(d, build_url(reverse("timeline:development", args=[d.id])), lang),
                },
                "unique_id": str(d.id),
            }
            if end:
                event["end_date"] = end
            if topics:
                event["group"] = _html_text(topics[0].name(lang))
            items.append(event)
        return {"title": {"text": {"headline": _html_text(title), "text": ""}}, "events": items}
