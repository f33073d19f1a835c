"""The weekly digest: building an issue and publishing it once.

An issue covers one ISO week (Monday 00:00 to Monday 00:00, Europe/Brussels; see
feeds/weeks.py): what the log recorded that week, by topic, then what is scheduled in
the weeks that follow.
`digest_publish` freezes it: the structured `content` (from which each subscriber's
email is rendered), the full French `html` and `text`, and the recipients (one Delivery
each). One issue per week and numbers in sequence are held by the unique constraints on
Digest.week and Digest.number, not by timing: a second publish of the same week, from a
second beat, a retried task or the command, meets the constraint and returns the issue
that won. Sending starts from `tasks.digest_publish_and_fan_out`, once the issue is committed.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from feeds import emails, weeks
from feeds.models import Delivery, Digest, Subscriber
from timeline import selectors

logger = logging.getLogger(__name__)

UPCOMING_WEEKS = 4
SUMMARY_LINE_MAX = 240


# --- building an issue ------------------------------------------------------------------


def _one_line(text: str) -> str:
    """The first sentence, cut to SUMMARY_LINE_MAX characters."""
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?…])\s", text)
    line = text[: match.start()] if match else text
    if len(line) > SUMMARY_LINE_MAX:
        line = line[: SUMMARY_LINE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return line


def _action(change: selectors.DevelopmentChange) -> tuple[str, str, str]:
    """(action, note, previous date) for a change: the one thing readers most need to hear,
    as the event-type registry ranks it."""
    news = change.headline
    if news.action == "corrected":
        notes = " ".join(n.note for n in change.news if n.action == "corrected" and n.note)
        return news.action, notes, ""
    return news.action, news.note, news.data.get("previous_date", "")


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
        "status": development.shown_status,  # awaiting_confirmation once its date passed
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
    start, end = weeks.week_bounds(week)
    monday, sunday = weeks.week_days(week)
    items = []
    for change in selectors.changes_between(start=start, end=end):
        if change.has("recorded") and change.has("retracted"):
            continue  # never announced, so there is nothing to withdraw
        action, note, previous = _action(change)
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
    weeks.week_parse(week)
    existing = Digest.objects.filter(week=week).first()
    if existing is not None:
        return Published(existing, created=False)
    position = selectors.latest_position()
    content = digest_content(week=week)
    if is_empty(content) and not settings.DIGEST_PUBLISH_EMPTY_WEEKS:
        return Published(None, created=False)
    html, text = emails.digest_render(content)
    monday, sunday = weeks.week_days(week)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                number = _next_number()
                digest = Digest.objects.create(
                    number=number,
                    week=week,
                    week_start=monday,
                    week_end=sunday,
                    title=emails.digest_title(number=number),
                    content=content,
                    html=html,
                    text=text,
                    log_position=position,
                )
                recipients = _freeze_recipients(digest)
        except IntegrityError:
            existing = Digest.objects.filter(week=week).first()
            if existing is not None:
                return Published(existing, created=False)
            continue  # another week's issue took this number
        logger.info("published digest %s (%s) to %s recipients", number, week, recipients)
        return Published(digest, created=True)
    raise RuntimeError(f"could not number the issue for {week}: too many concurrent publishes")
