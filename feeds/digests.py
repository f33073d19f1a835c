"""The weekly digest: building an issue and publishing it once.

An issue covers one completed ISO week (Monday 00:00 to Monday 00:00, Europe/Brussels;
see feeds/weeks.py) and reads like the newsletter it is modelled on. Its sections, each
present only when it has something:

- *À la une* and the editors' introduction, from the week's draft (DigestDraft);
- *Cette semaine*: developments whose date falls in the week, by topic;
- *À venir*: scheduled developments of the next four weeks, then those whose date is
  still vague ("date à préciser"); nothing whose date has passed;
- *Rectificatifs*: corrections, reschedulings, confirmations, cancellations and
  retractions published during the week, whatever the development's date;
- *Ajouté aux archives*: developments recorded that week about earlier dates, which the
  email lists compactly and caps ("et N autres").

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
from django.utils import timezone

from feeds import emails, weeks
from feeds.models import Delivery, Digest, DigestDraft, Subscriber
from timeline import selectors

logger = logging.getLogger(__name__)

UPCOMING_WEEKS = 4
SUMMARY_MAX = 280
# A date known to within a week says when it happened; a wider one ("novembre 2025",
# "vers 2026") belongs to the week only by chance, and to the agenda as "date à préciser".
PRECISE_DAYS = 7
SECTIONS = ("this_week", "upcoming", "unscheduled", "corrections", "archive")

# The end of a sentence: . ! ? … followed by a space and a capital or an opening quote,
# unless the dot ends an initial or a title ("M. Tokaïev", "J.-M.").
_SENTENCE_END = re.compile(r"(?<![\s(.\-][A-Z])(?<=[.!?…])\s+(?=[«\"“A-ZÀ-ÖØ-Þ])")


class WeekInProgress(Exception):
    """The week has not ended: its issue would miss what happens before Sunday night."""

    def __init__(self, week: str, ends: datetime.datetime):
        self.week, self.ends = week, ends
        sunday = (ends - datetime.timedelta(days=1)).date()
        super().__init__(
            f"{week} is still in progress: it ends at midnight at the end of Sunday "
            f"{sunday:%d %B %Y} (Brussels time, {ends.isoformat()}). Publish it after "
            "that, or use --force."
        )


# --- building an issue ------------------------------------------------------------------


def summary_cut(text: str, limit: int = SUMMARY_MAX) -> str:
    """As many whole sentences as fit in `limit` characters; a first sentence longer than
    that is cut at a word and ends with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _width(development: Any) -> int:
    return (development.date_upper - development.date_lower).days


def _precise(development: Any) -> bool:
    return _width(development) < PRECISE_DAYS


def _source(development: Any) -> dict[str, str] | None:
    """The first source's known parts; unknown ones are left empty, never a placeholder."""
    if not development.sources:
        return None
    source = development.sources[0]
    known = {key: str(source.get(key) or "").strip() for key in SOURCE_KEYS}
    return known if known["publication"] or known["title"] else None


SOURCE_KEYS = ("publication", "title", "author", "date", "url")


def _item(development: Any, action: str = "", note: str = "", previous_date: str = "") -> dict:
    return {
        "id": str(development.id),
        "url": f"{settings.SITE_URL}/developments/{development.id}/",
        "title": development.title,
        "summary": summary_cut(development.summary),
        "date": development.date,
        "date_lower": development.date_lower.isoformat(),
        "place": development.place,
        "status": development.shown_status,  # awaiting_confirmation once its date passed
        "action": action,
        "note": note,
        "previous_date": previous_date,
        "topics": [topic.slug for topic in development.topics.all()],
        "source": _source(development),
    }


def _archive_item(development: Any) -> dict:
    """The compact form the archive section lists: title, date, link."""
    return {
        "id": str(development.id),
        "url": f"{settings.SITE_URL}/developments/{development.id}/",
        "title": development.title,
        "date": development.date,
        "date_lower": development.date_lower.isoformat(),
        "status": development.shown_status,  # said when it awaits confirmation
        "topics": [topic.slug for topic in development.topics.all()],
    }


def _correction(change: selectors.DevelopmentChange) -> dict:
    """The week's news about an older development: the one readers most need to hear (as
    the registry ranks it), with every public note the week's corrections carry."""
    news = change.headline
    notes = [n.note for n in change.news if n.note]
    return _item(
        change.development,
        news.action,
        " ".join(dict.fromkeys(notes)),
        news.data.get("previous_date", ""),
    )


def _arrange(items: list[dict], draft: DigestDraft | None) -> list[dict]:
    """The section as editors arranged it: hidden items out, their chosen order first."""
    if draft is None:
        return items
    hidden = set(draft.hidden)
    rank = {id: n for n, id in enumerate(draft.order)}
    kept = [item for item in items if item["id"] not in hidden]
    return sorted(kept, key=lambda item: rank.get(item["id"], len(rank)))


def digest_content(*, week: str, draft: DigestDraft | None = None) -> dict[str, Any]:
    """The structured issue for a week, as the log and the draft stand now.

    1. Cette semaine: what is dated in the week (to within a week).
    2. À venir: the scheduled developments of the next four weeks; those with a vague date
       come after, "date à préciser". Nothing whose latest possible day has passed.
    3. The week's events: news about developments recorded before the week are
       Rectificatifs; developments recorded in the week about earlier dates and listed
       nowhere above are added to the archive (unless retracted or cancelled the same
       week). One recorded about a later date waits for the agenda's four weeks.
    4. The draft: its lead leaves its section for À la une; hidden items go; its order
       comes first in each section.
    """
    start, end = weeks.week_bounds(week)
    monday, sunday = weeks.week_days(week)
    this_week = [
        _item(d) for d in selectors.dated_between(first=monday, last=sunday) if _precise(d)
    ]
    listed = {item["id"] for item in this_week}
    horizon = sunday + datetime.timedelta(weeks=UPCOMING_WEEKS)
    upcoming, unscheduled = [], []
    for development in selectors.scheduled_after(day=sunday):
        if str(development.id) in listed:
            continue
        if not _precise(development):
            unscheduled.append(_item(development))
        elif development.date_lower <= horizon:
            upcoming.append(_item(development))
    listed |= {item["id"] for item in upcoming + unscheduled}
    corrections, archive = [], []
    for change in selectors.changes_between(start=start, end=end):
        if not change.entered:
            corrections.append(_correction(change))
            continue
        added = change.development
        assert added is not None  # changes_between leaves out what is not in the read model
        if (
            str(added.id) not in listed
            and added.date_lower < monday
            and added.status not in (selectors.Status.CANCELLED, selectors.Status.RETRACTED)
        ):
            archive.append(_archive_item(added))
    corrections.sort(key=lambda item: item["date_lower"], reverse=True)
    archive.sort(key=lambda item: item["date_lower"], reverse=True)
    sections = {
        "this_week": this_week,
        "upcoming": upcoming,
        "unscheduled": unscheduled,
        "corrections": corrections,
        "archive": archive,
    }
    lead = None
    if draft is not None and draft.lead is not None:
        lead_id = str(draft.lead)
        for name, items in sections.items():
            found = next((item for item in items if item["id"] == lead_id), None)
            if found is not None and name != "archive":
                lead = found
                items.remove(found)
                break
    sections = {name: _arrange(items, draft) for name, items in sections.items()}
    used = {slug for items in sections.values() for item in items for slug in item["topics"]}
    if lead:
        used |= set(lead["topics"])
    topics = [
        {"slug": topic.slug, "fr": topic.name_fr, "en": topic.name_en}
        for topic in selectors.feed_topics(slugs=sorted(used))
    ]
    return {
        "week": week,
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
        "introduction": draft.introduction.strip() if draft is not None else "",
        "lead": lead,
        "topics": topics,
        **sections,
    }


def candidates(content: dict[str, Any]) -> list[dict]:
    """Every item an editor may pick as the lead, hide or move: all sections but the
    archive, the lead first."""
    items = [content["lead"]] if content.get("lead") else []
    for name in ("this_week", "upcoming", "unscheduled", "corrections"):
        items += content[name]
    return items


def section_counts(content: dict[str, Any]) -> dict[str, int]:
    """How many items each section holds (the lead counts under "lead")."""
    return {"lead": 1 if content.get("lead") else 0} | {
        name: len(content[name]) for name in SECTIONS
    }


def is_empty(content: dict[str, Any]) -> bool:
    """True when the first four sections (the editors' word, the week, the agenda, the
    corrections) have nothing: the archive alone makes no issue."""
    return not (
        content.get("introduction")
        or content.get("lead")
        or any(content[name] for name in ("this_week", "upcoming", "unscheduled", "corrections"))
    )


def draft_for(*, week: str) -> DigestDraft:
    """The week's draft, created empty the first time an editor opens it."""
    weeks.week_parse(week)
    draft, _ = DigestDraft.objects.get_or_create(week=week)
    return draft


def next_number() -> int:
    """The number the next published issue will carry."""
    last = Digest.objects.aggregate(n=Max("number"))["n"]
    return settings.DIGEST_FIRST_NUMBER if last is None else last + 1


# --- publishing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """What `digest_publish` did: the week's issue (None for an empty week left out) and
    whether this call created it."""

    digest: Digest | None
    created: bool


def _freeze_recipients(digest: Digest) -> int:
    """One pending Delivery per subscriber confirmed now who follows a topic of the issue."""
    slugs = {topic["slug"] for topic in digest.content["topics"]}
    recipients = (
        Subscriber.objects.active()
        .filter(Q(all_topics=True) | Q(topics__slug__in=slugs))
        .values_list("id", flat=True)
        .distinct()
    )
    rows = [Delivery(digest=digest, subscriber_id=id) for id in recipients]
    Delivery.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def digest_publish(*, week: str, force: bool = False) -> Published:
    """Publish the week's issue once, freeze its recipients and its draft.

    1. An issue for the week already exists: return it.
    2. A week still in progress is refused (WeekInProgress) unless `force`.
    3. Build the content with the week's draft as it stands; an empty week makes no issue
       unless DIGEST_PUBLISH_EMPTY_WEEKS.
    4. Insert it with the next number, its deliveries and the draft's link to it, in one
       transaction. A unique violation means another publisher won: the week's issue now
       exists (return it), or another week took the number (take the next one).
    The caller (tasks.digest_publish_and_fan_out) enqueues the fan-out after commit.
    """
    weeks.week_parse(week)
    existing = Digest.objects.filter(week=week).first()
    if existing is not None:
        return Published(existing, created=False)
    ends = weeks.week_bounds(week)[1]
    if not force and timezone.now() < ends:
        raise WeekInProgress(week, ends)
    position = selectors.latest_position()
    draft = DigestDraft.objects.filter(week=week).first()
    content = digest_content(week=week, draft=draft)
    if is_empty(content) and not settings.DIGEST_PUBLISH_EMPTY_WEEKS:
        return Published(None, created=False)
    monday, sunday = weeks.week_days(week)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                number = next_number()
                html, text = emails.digest_render(content, number=number)
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
                DigestDraft.objects.update_or_create(week=week, defaults={"digest": digest})
        except IntegrityError:
            existing = Digest.objects.filter(week=week).first()
            if existing is not None:
                return Published(existing, created=False)
            continue  # another week's issue took this number
        logger.info("published digest %s (%s) to %s recipients", number, week, recipients)
        return Published(digest, created=True)
    raise RuntimeError(f"could not number the issue for {week}: too many concurrent publishes")
