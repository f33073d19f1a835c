"""The weekly digest: ISO weeks in Brussels, building an issue, publishing it once.

An issue covers one ISO week (Monday 00:00 to Monday 00:00, Europe/Brussels): what the
log recorded that week, by topic, then what is scheduled in the weeks that follow.
`digest_publish` freezes it: the structured `content` (from which each subscriber's
email is rendered), the full French `html` and `text`, and the recipients (one Delivery
each). One issue per week and numbers in sequence are held by the unique constraints on
Digest.week and Digest.number, not by timing: a second publish of the same week, from a
second beat, a retried task or the command, meets the constraint and returns the issue
that won.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string

from feeds.models import Delivery, Digest, Subscriber
from timeline import dates, selectors

logger = logging.getLogger(__name__)

BRUSSELS = ZoneInfo("Europe/Brussels")
UPCOMING_WEEKS = 4
SUMMARY_LINE_MAX = 240
_WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


# --- ISO weeks --------------------------------------------------------------------------


class InvalidWeek(ValueError):
    """A week label we cannot read; the message says what to write."""


def week_parse(label: str) -> tuple[int, int]:
    """(year, week) from an ISO week label such as '2026-W12'."""
    match = _WEEK_LABEL.match(label.strip()) if isinstance(label, str) else None
    if not match:
        raise InvalidWeek(f"{label!r} is not an ISO week: write it as 2026-W12.")
    year, week = int(match[1]), int(match[2])
    try:
        datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidWeek(f"{year} has no ISO week {week}.") from None
    return year, week


def week_label(year: int, week: int) -> str:
    """'2026-W12' for (2026, 12)."""
    return f"{year:04d}-W{week:02d}"


def week_days(label: str) -> tuple[datetime.date, datetime.date]:
    """The week's Monday and Sunday."""
    year, week = week_parse(label)
    monday = datetime.date.fromisocalendar(year, week, 1)
    return monday, monday + datetime.timedelta(days=6)


def week_bounds(label: str) -> tuple[datetime.datetime, datetime.datetime]:
    """[Monday 00:00, next Monday 00:00) in Brussels, as aware datetimes."""
    monday, sunday = week_days(label)
    start = datetime.datetime.combine(monday, datetime.time(), tzinfo=BRUSSELS)
    next_monday = sunday + datetime.timedelta(days=1)
    return start, datetime.datetime.combine(next_monday, datetime.time(), tzinfo=BRUSSELS)


def week_of(moment: datetime.datetime) -> str:
    """The label of the Brussels ISO week that contains this aware moment."""
    year, week, _ = moment.astimezone(BRUSSELS).isocalendar()
    return week_label(year, week)


def previous_week(moment: datetime.datetime) -> str:
    """The label of the week before the one containing this moment (Monday's issue)."""
    return week_of(moment.astimezone(BRUSSELS) - datetime.timedelta(days=7))


# --- the digest's wording ---------------------------------------------------------------
# The issue is content, French first like the seed; subscribers who chose English get
# these English words around the (French) developments. Kept here, like the month names
# in timeline/dates.py, so a published issue never depends on a translation catalogue.

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Quoi de neuf au Kazakhstan cette semaine ? Numéro {number}",
        "week": "Semaine {number} : {days}",
        "scheduled": "Prévu",
        "intro": "Ce qui a été consigné cette semaine dans le suivi des relations "
        "entre le Kazakhstan et l'Union européenne, par sujet.",
        "nothing": "Rien de nouveau cette semaine.",
        "upcoming": "À venir dans les prochaines semaines",
        "corrected": "Correction",
        "rescheduled": "Nouvelle date",
        "previously": "auparavant :",
        "confirmed": "A eu lieu",
        "cancelled": "Annulé",
        "retracted": "Retiré",
        "source": "Source :",
        "read": "Lire la suite",
        "online": "Lire ce numéro en ligne",
        "your_topics": "Vos sujets :",
        "all_topics": "tous les sujets",
        "why": "Vous recevez ce courriel car vous êtes abonné·e à la lettre hebdomadaire "
        "de kztrack.",
        "preferences": "Changer mes sujets ou ma langue",
        "unsubscribe": "Se désabonner",
        "test": "[TEST]",
    },
    "en": {
        "title": "What's new in Kazakhstan this week? Issue {number}",
        "week": "Week {number}: {days}",
        "scheduled": "Scheduled",
        "intro": "What was recorded this week in the tracker of relations between "
        "Kazakhstan and the European Union, by topic (developments are written in French).",
        "nothing": "Nothing new this week.",
        "upcoming": "Coming up in the next weeks",
        "corrected": "Correction",
        "rescheduled": "New date",
        "previously": "previously:",
        "confirmed": "Took place",
        "cancelled": "Cancelled",
        "retracted": "Retracted",
        "source": "Source:",
        "read": "Read more",
        "online": "Read this issue online",
        "your_topics": "Your topics:",
        "all_topics": "all topics",
        "why": "You receive this email because you subscribed to kztrack's weekly digest.",
        "preferences": "Change my topics or language",
        "unsubscribe": "Unsubscribe",
        "test": "[TEST]",
    },
}


def words_for(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["fr"])


def digest_title(*, number: int, lang: str = "fr") -> str:
    """'Quoi de neuf au Kazakhstan cette semaine ? Numéro 56'."""
    return words_for(lang)["title"].format(number=number)


# --- building an issue ------------------------------------------------------------------


def _one_line(text: str) -> str:
    """The first sentence, cut to SUMMARY_LINE_MAX characters."""
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?…])\s", text)
    line = text[: match.start()] if match else text
    if len(line) > SUMMARY_LINE_MAX:
        line = line[: SUMMARY_LINE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return line


def _action(change: selectors.DevelopmentChange) -> tuple[str, str]:
    """(action, note) for a change: the one thing readers most need to hear."""
    development = change.development
    if change.retracted:
        return "retracted", development.status_reason
    if change.cancelled:
        return "cancelled", development.status_reason
    if change.recorded:
        return "recorded", ""
    if change.rescheduled_from:
        return "rescheduled", ""
    if change.confirmed:
        return "confirmed", ""
    return "corrected", " ".join(note for note in change.corrections if note)


def _item(development: Any, action: str, note: str = "", previous_date: str = "") -> dict:
    source = development.sources[0] if development.sources else None
    return {
        "id": str(development.id),
        "url": f"{settings.SITE_URL}/developments/{development.id}/",
        "title": development.title,
        "summary": _one_line(development.summary),
        "date": development.date,
        "date_lower": development.date_lower.isoformat(),
        "place": development.place,
        "status": development.status,
        "action": action,
        "note": note,
        "previous_date": previous_date,
        "topics": [topic.slug for topic in development.topics.all()],
        "source": {
            key: source.get(key, "") for key in ("publication", "title", "author", "date", "url")
        }
        if source
        else None,
    }


def digest_content(*, week: str) -> dict[str, Any]:
    """The structured issue for a week: items by what happened, then what is coming."""
    start, end = week_bounds(week)
    monday, sunday = week_days(week)
    items = []
    for change in selectors.changes_between(start=start, end=end):
        if change.recorded and change.retracted:
            continue  # never announced, so there is nothing to withdraw
        action, note = _action(change)
        previous = change.rescheduled_from if action == "rescheduled" else ""
        items.append(_item(change.development, action, note, previous))
    items.sort(key=lambda item: item["date_lower"], reverse=True)  # latest first
    listed = {item["id"] for item in items}
    first = sunday + datetime.timedelta(days=1)
    last = sunday + datetime.timedelta(weeks=UPCOMING_WEEKS)
    upcoming = [
        _item(development, "scheduled")
        for development in selectors.scheduled_between(first=first, last=last)
        if str(development.id) not in listed
    ]
    used = {slug for item in items + upcoming for slug in item["topics"]}
    topics = [
        {"slug": topic.slug, "fr": topic.name_fr, "en": topic.name_en}
        for topic in selectors.feed_topics(slugs=sorted(used))
    ]
    return {
        "week": week,
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
        "topics": topics,
        "items": items,
        "upcoming": upcoming,
    }


def _label(item: dict, words: dict[str, str]) -> str:
    """The mark before an item: what changed, or nothing for plain news and upcoming."""
    action = item["action"]
    if action == "recorded":
        return words["scheduled"] if item["status"] == "scheduled" else ""
    if action == "scheduled":
        return ""  # its section says it is to come
    return words[action]


def _shown(item: dict, words: dict[str, str], lang: str) -> dict:
    return {
        **item,
        "label": _label(item, words),
        "date_display": dates.display(item["date"], lang),
        "previous_date_display": dates.display(item["previous_date"], lang)
        if item.get("previous_date")
        else "",
    }


def digest_view(
    content: dict[str, Any], *, lang: str = "fr", topics: list[str] | None = None
) -> dict[str, Any]:
    """What one reader sees of an issue: the sections of the topics they follow (None: all),
    in their language. A development with several topics appears once, under the first
    of its topics the reader follows."""
    words = words_for(lang)
    followed = None if topics is None else set(topics)
    sections: dict[str, dict[str, Any]] = {
        topic["slug"]: {"slug": topic["slug"], "name": topic.get(lang) or topic["fr"], "items": []}
        for topic in content["topics"]
        if followed is None or topic["slug"] in followed
    }
    for item in content["items"]:
        slug = next((s for s in item["topics"] if s in sections), None)
        if slug is not None:
            sections[slug]["items"].append(_shown(item, words, lang))
    upcoming = [
        _shown(item, words, lang)
        for item in content["upcoming"]
        if followed is None or followed & set(item["topics"])
    ]
    days = dates.display(f"{content['monday']}/{content['sunday']}", lang)
    number = week_parse(content["week"])[1]
    return {
        "words": words,
        "lang": lang,
        "week_display": words["week"].format(number=number, days=days),
        "sections": [section for section in sections.values() if section["items"]],
        "upcoming": upcoming,
    }


def digest_render(
    content: dict[str, Any], *, lang: str = "fr", topics: list[str] | None = None
) -> tuple[str, str]:
    """(html, text) of the issue's body for one reader; the HTML carries inline CSS."""
    context = digest_view(content, lang=lang, topics=topics)
    html = render_to_string("emails/_digest-content.html", context)
    text = tidy_text(render_to_string("emails/_digest-content.txt", context))
    return html, text


def tidy_text(text: str) -> str:
    """Plain text from a template: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def is_empty(content: dict[str, Any]) -> bool:
    """True when nothing was recorded, corrected or retracted that week."""
    return not content["items"]


# --- publishing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """What `digest_publish` did: the week's issue (None for an empty week left out) and
    whether this call created it."""

    digest: Digest | None
    created: bool


def _next_number() -> int:
    last = Digest.objects.aggregate(n=Max("number"))["n"]
    return settings.DIGEST_FIRST_NUMBER if last is None else last + 1


def _freeze_recipients(digest: Digest) -> int:
    """One pending Delivery per subscriber confirmed now who follows a topic of the issue."""
    content = digest.content
    slugs = {slug for item in content["items"] + content["upcoming"] for slug in item["topics"]}
    recipients = (
        Subscriber.objects.active()
        .filter(Q(all_topics=True) | Q(topics__slug__in=slugs))
        .values_list("id", flat=True)
        .distinct()
    )
    rows = [Delivery(digest=digest, subscriber_id=id) for id in recipients]
    Delivery.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def digest_publish(*, week: str) -> Published:
    """Publish the week's issue once, freeze its recipients and start the fan-out.

    1. An issue for the week already exists: return it.
    2. Build the content; an empty week makes no issue unless DIGEST_PUBLISH_EMPTY_WEEKS.
    3. Insert it with the next number and its deliveries, in one transaction. A unique
       violation means another publisher won: the week's issue now exists (return it), or
       another week took the number (take the next one).
    4. After commit, enqueue the fan-out.
    """
    week_parse(week)
    existing = Digest.objects.filter(week=week).first()
    if existing is not None:
        return Published(existing, created=False)
    position = selectors.latest_position()
    content = digest_content(week=week)
    if is_empty(content) and not settings.DIGEST_PUBLISH_EMPTY_WEEKS:
        return Published(None, created=False)
    html, text = digest_render(content)
    monday, sunday = week_days(week)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                number = _next_number()
                digest = Digest.objects.create(
                    number=number,
                    week=week,
                    week_start=monday,
                    week_end=sunday,
                    title=digest_title(number=number),
                    content=content,
                    html=html,
                    text=text,
                    log_position=position,
                )
                recipients = _freeze_recipients(digest)
                transaction.on_commit(functools.partial(_start_fan_out, digest.id))
        except IntegrityError:
            existing = Digest.objects.filter(week=week).first()
            if existing is not None:
                return Published(existing, created=False)
            continue  # another week's issue took this number
        logger.info("published digest %s (%s) to %s recipients", number, week, recipients)
        return Published(digest, created=True)
    raise RuntimeError(f"could not number the issue for {week}: too many concurrent publishes")


def _start_fan_out(digest_id: int) -> None:
    from feeds import tasks  # tasks call into this module

    tasks.send_digest.delay(digest_id)
