"""Template helpers for the readers' pages: dates at their precision, topic names and
colours in the reader's language, and JSON-LD that cannot break out of its script tag."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_lazy

from timeline import dates, visual
from timeline.models import Actor, Kind, Stage, Status, Topic

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


def _lang() -> str:
    return (get_language() or "fr")[:2]


@register.filter
def edtf(value):
    """An EDTF date for readers, in the current language: '16–20 mai 2023'."""
    if not value:
        return ""
    try:
        return dates.display(str(value), _lang())
    except dates.InvalidDate:
        return str(value)


@register.filter
def topic_name(topic):
    return topic.name(_lang())


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
    return mark_safe(  # noqa: S308 - every <, > and & is escaped above
        '<script type="application/ld+json">' + text.translate(_JSON_SCRIPT_ESCAPES) + "</script>"
    )


@register.inclusion_tag("timeline/_topics_menu.html")
def topics_menu():
    return {"topics": list(Topic.objects.all())}


_ACTIONS = {
    "recorded": gettext_lazy("Recorded"),
    "corrected": gettext_lazy("Corrected"),
    "rescheduled": gettext_lazy("Rescheduled"),
    "confirmed": gettext_lazy("Confirmed: it took place"),
    "cancelled": gettext_lazy("Cancelled"),
    "retracted": gettext_lazy("Retracted"),
}

_FIELDS = {
    "title": gettext_lazy("title"),
    "summary": gettext_lazy("summary"),
    "kind": gettext_lazy("kind"),
    "date": gettext_lazy("date"),
    "date_note": gettext_lazy("note on the date"),
    "place": gettext_lazy("place"),
    "stage": gettext_lazy("stage"),
    "topics": gettext_lazy("topics"),
    "actors": gettext_lazy("actors"),
    "sources": gettext_lazy("sources"),
    "status": gettext_lazy("status"),
}


@register.filter
def action_label(action):
    return _ACTIONS.get(action, action)


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
        names = {t.slug: t.name(_lang()) for t in Topic.objects.filter(slug__in=value)}
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
