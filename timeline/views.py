"""Readers' pages: the timeline, one thread per topic, one development. Thin: the selectors
read, the templates show (and escape everything editors typed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from timeline import dates, selectors, visual
from timeline.dates import display
from timeline.exceptions import DevelopmentNotFound
from timeline.jsonld import development_jsonld
from timeline.models import Actor, Development, Kind, ShownStatus, Topic

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
FILTER_FIELDS = ("topic", "actor", "kind", "status", "from", "to", "q")

# What a reader sees for a filter the selectors refused.
FILTER_ERRORS = {
    "topic": gettext_lazy("There is no such topic."),
    "actor": gettext_lazy("There is no such person or institution."),
    "kind": gettext_lazy("Choose a kind from the list."),
    "status": gettext_lazy("Choose a status from the list."),
    "from": gettext_lazy("Write a date such as 2023, 2023-05 or 2023-05-16."),
    "to": gettext_lazy(
        "Write a date such as 2023, 2023-05 or 2023-05-16, not before the start of the period."
    ),
    "q": gettext_lazy("At most 200 characters, please."),
    "cursor": gettext_lazy("This page link is out of date: start again from the first page."),
}


FAVICON = Path(__file__).resolve().parent / "static" / "timeline" / "favicon.ico"


def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever the page links."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def healthz(request):
    """Liveness and database reachability, for load balancers and compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means unhealthy
        # The detail (host, port, role) is for the operators' log, not for whoever probes.
        logger.exception("healthz: the database is unavailable")
        return JsonResponse({"status": "error", "database": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# --- grouping by year and month ---------------------------------------------------------


@dataclass
class MonthGroup:
    label: str  # "mai 2023", or the year alone for dates less precise than a month
    items: list[Development] = field(default_factory=list)


@dataclass
class YearGroup:
    year: int
    months: list[MonthGroup] = field(default_factory=list)


def group_by_month(items: list[Development], lang: str) -> list[YearGroup]:
    """Consecutive developments under their year, then their month. A development whose
    date is less precise than a month (a year, a season, a range over months) goes under
    the year alone, so no month is invented for it."""
    years: list[YearGroup] = []
    for development in items:
        lower, upper = development.date_lower, development.date_upper
        year = development.date_sort.year  # a window known by its end sits at that end
        if not years or years[-1].year != year:
            years.append(YearGroup(year=year))
        months = years[-1].months
        if (lower.year, lower.month) == (upper.year, upper.month):
            label = display(lower.strftime("%Y-%m"), lang)
        else:
            label = _("%(year)d, less precise dates") % {"year": year}
        group = next((m for m in months if m.label == label), None)
        if group is None:
            group = MonthGroup(label=label)
            months.append(group)
        group.items.append(development)
    return years


# --- filters ----------------------------------------------------------------------------


def _read_filters(
    request: HttpRequest,
) -> tuple[dict[str, str], selectors.TimelineFilters | None, dict[str, str]]:
    """The form's values, the validated filters (None if refused) and the errors."""
    values = {name: request.GET.get(name, "") for name in FILTER_FIELDS}
    try:
        filters = selectors.timeline_filters(
            topic=values["topic"],
            actor=values["actor"],
            kind=values["kind"],
            status=values["status"],
            date_from=values["from"],
            date_to=values["to"],
            q=values["q"],
        )
    except ValidationError as exc:
        return values, None, {name: str(FILTER_ERRORS.get(name, "")) for name in exc.message_dict}
    return values, filters, {}


def _page(
    request: HttpRequest,
    filters: selectors.TimelineFilters,
    *,
    newest_first: bool,
    errors: dict[str, str],
) -> selectors.TimelinePage:
    try:
        return selectors.timeline_page(
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
            newest_first=newest_first,
        )
    except ValidationError:
        errors["cursor"] = str(FILTER_ERRORS["cursor"])
        return selectors.TimelinePage(items=[], next_cursor=None)


def _picture(filters: selectors.TimelineFilters, lang: str) -> str:
    """The visual timeline's SVG. Drawing thousands of marks takes a second, so the
    drawing is kept until the log moves (or an hour, for renamed topics)."""
    key = selectors.cache_key("timeline-picture", lang, filters.key)
    html = cache.get(key)
    if html is None:
        shape = selectors.timeline_shape(filters=filters)
        picture = visual.picture(shape, lang=lang, params=filters.as_params())
        html = render_to_string("timeline/_visual.html", {"picture": picture})
        cache.set(key, html, timeout=3600)
    return mark_safe(html)  # rendered by the template, which escapes


def _choices() -> dict[str, Any]:
    return {
        "topics": list(Topic.objects.all()),
        "actors": list(Actor.objects.all()),
        "kinds": Kind.choices,
        "statuses": ShownStatus.choices,
    }


# --- pages ------------------------------------------------------------------------------


def timeline(request: HttpRequest) -> HttpResponse:
    """The front page: upcoming developments, the picture, then the timeline page by page."""
    lang = dates.current_language()
    values, filters, errors = _read_filters(request)
    newest_first = request.GET.get("order") != "oldest"
    context: dict[str, Any] = {
        "values": values,
        "errors": errors,
        "newest_first": newest_first,
        "first_page": not request.GET.get("cursor"),
        **_choices(),
    }
    if filters is not None and filters.q:
        # A search: the developments found, best first, each with its matching words.
        context.update(
            search=selectors.search_results(filters=filters, limit=PAGE_SIZE),
            filtered=True,
            first_page=True,
        )
        context.update(upcoming=selectors.upcoming_list(filters=filters, limit=5))
    elif filters is not None:
        page = _page(request, filters, newest_first=newest_first, errors=errors)
        context.update(
            groups=group_by_month(page.items, lang),
            next_cursor=page.next_cursor,
            filtered=bool(filters.as_params()),
        )
        if context["first_page"]:
            context.update(
                upcoming=selectors.upcoming_list(filters=filters, limit=5),
                picture=_picture(filters, lang),
            )
    return render(request, "timeline/timeline.html", context, status=400 if errors else 200)


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    """One topic's thread, oldest first, with the stages of an agreement."""
    lang = dates.current_language()
    try:
        thread = selectors.topic_get(slug=slug)
    except selectors.TopicNotFound:
        raise Http404(_("There is no such topic.")) from None
    filters = selectors.TimelineFilters(topic=thread.topic)
    errors: dict[str, str] = {}
    page = _page(request, filters, newest_first=False, errors=errors)
    first_page = not request.GET.get("cursor")
    context = {
        "thread": thread,
        "topic": thread.topic,
        "topic_name": thread.topic.name(lang),
        "description": thread.topic.description(lang),
        "groups": group_by_month(page.items, lang),
        "next_cursor": page.next_cursor,
        "first_page": first_page,
        "errors": errors,
        "upcoming": selectors.upcoming_list(filters=filters, limit=5) if first_page else [],
        "picture": _picture(filters, lang) if first_page else "",
    }
    return render(request, "timeline/topic.html", context, status=400 if errors else 200)


def development(request: HttpRequest, id: Any) -> HttpResponse:
    """One development: its text, sources with quotes, and its public history."""
    try:
        found = selectors.development_get(id=id)
    except DevelopmentNotFound:
        raise Http404(_("There is no such development.")) from None
    history = selectors.development_history(id=found.id)
    context = {
        "development": found,
        "history": history,
        "corrections": [h for h in history if h.action == "corrected"],
        "jsonld": development_jsonld(found, history),
    }
    return render(request, "timeline/development.html", context)
