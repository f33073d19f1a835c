"""Template helpers for the readers' pages: dates at their precision, topic names and
colours in the reader's language, and JSON-LD that cannot break out of its script tag."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from timeline import dates, events, visual
from timeline.models import Actor, Development, Kind, Stage, Status, Topic

register = template.Library()

# As django.utils.html.json_script does: in JSON these escapes mean the same characters,
# and no `</script>` or `<!--` can appear in the output.
_JSON_SCRIPT_ESCAPES = {
    ord(">"): "\\u003E",
    ord("<"): "\\u003C",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@register.filter
def edtf(value):
    """An EDTF date for readers, in the current language: '16–20 mai 2023'."""
    if not value:
        return ""
    try:
        return dates.display(str(value), dates.current_language())
    except dates.InvalidDate:
        return str(value)


@register.filter
def edtf_datetime(value):
    """The HTML `<time datetime>` value of a point date at its precision ("2025-03-27",
    "2025-03", "2025"), or "" when HTML has none (a season, a span, a window, "vers…")."""
    try:
        date = dates.parse(str(value))
    except dates.InvalidDate:
        return ""
    if date.meaning != dates.POINT or date.approximate or date.uncertain:
        return ""
    if date.precision == "day":
        return date.lower.isoformat()
    if date.precision == "month":
        return date.lower.strftime("%Y-%m")
    return str(date.lower.year) if date.precision == "year" else ""


@register.filter
def iso_datetime(value):
    """A datetime for `<time datetime>`: whole seconds and an offset, as HTML allows."""
    return value.isoformat(timespec="seconds") if value else ""


@register.filter
def in_calendar(value):
    """True when the date is a day or a short span (a calendar event), not one to specify."""
    try:
        return dates.in_calendar(str(value))
    except dates.InvalidDate:
        return False


@register.filter
def topic_name(topic):
    return topic.name(dates.current_language())


@register.filter
def topic_colour(topic):
    return visual.topic_colour(topic)


@register.filter
def topic_class(topic):
    return visual.topic_class(topic)


@register.simple_tag
def jsonld(data):
    """`<script type="application/ld+json">` with the data, safe whatever editors typed."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(  # every <, > and & is escaped above
        '<script type="application/ld+json">' + text.translate(_JSON_SCRIPT_ESCAPES) + "</script>"
    )


@register.inclusion_tag("timeline/_topics_menu.html")
def topics_menu():
    return {"topics": list(Topic.objects.all())}


# Readers' names for a development's fields: the model's, but "date" without "(EDTF)".
_FIELDS = {
    **{name: Development.field_label(name) for name in (*events.DEVELOPMENT_FIELDS, "status")},
    "date": gettext_lazy("date"),
}


@register.filter
def action_label(action):
    """What an event did, in the reader's language, from the event-type registry."""
    try:
        return events.by_action(action).label(dates.current_language())
    except StopIteration:
        return action


@register.filter
def field_label(name):
    return _FIELDS.get(name, name)


@register.filter
def change_text(value, field):
    """A changed value as readers should read it (labels, names, dates), never raw JSON."""
    if value in (None, "", []):
        return "—"
    if field == "date":
        return edtf(value)
    choices = {"kind": Kind, "stage": Stage, "status": Status}
    if field in choices:
        try:
            return choices[field](value).label
        except ValueError:
            return str(value)
    if field == "topics":
        names = {
            t.slug: t.name(dates.current_language()) for t in Topic.objects.filter(slug__in=value)
        }
        return ", ".join(names.get(slug, slug) for slug in value)
    if field == "actors":
        slugs = [a.get("actor", "") for a in value]
        names = dict(Actor.objects.filter(slug__in=slugs).values_list("slug", "name"))
        return ", ".join(
            names.get(a.get("actor", ""), a.get("actor", ""))
            + (f" ({a['role']})" if a.get("role") else "")
            for a in value
        )
    if field == "sources":
        return ", ".join(s.get("publication") or s.get("title", "") for s in value)
    return Truncator(str(value)).chars(300)
