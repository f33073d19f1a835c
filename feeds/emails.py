"""Every email goes through `message_build`: three templates (subject, text, HTML) make
one multipart/alternative message. The digest and the confirmation are built here, and so
is the rendering of an issue's frozen content for one reader (its words in French and
English, its sections), which the web archive shares."""

from __future__ import annotations

import datetime
import functools
import random
import re
import sys
import textwrap
from collections import OrderedDict
from dataclasses import dataclass
from email.header import Header
from email.message import Message as PyMessage
from email.policy import Compat32
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from feeds.models import Digest
from timeline import dates, selectors

# --- the digest's wording ---------------------------------------------------------------
# The issue is content, French first like the seed; subscribers who chose English get
# these English words around the (French) developments. Kept here, like the month names
# in timeline/dates.py, so a published issue never depends on a translation catalogue.

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "lang": "fr",
        "title": "Quoi de neuf au Kazakhstan cette semaine ? Numéro {number}",
        "masthead": "Quoi de neuf au Kazakhstan cette semaine ?",
        "number": "Numéro {number}",
        "week": "Semaine du {first} au {last}",
        "lead": "À la une",
        "this_week": "Cette semaine",
        "upcoming": "À venir",
        "unscheduled": "Date à préciser",
        "corrections": "Rectificatifs",
        "archive": "Ajouté aux archives",
        "archive_intro": "Consignés cette semaine, à propos de dates antérieures :",
        "to_confirm": "À confirmer",
        "more_one": "et 1 autre",
        "more": "et {n} autres",
        "nothing": "Rien de nouveau cette semaine.",
        "previously": "auparavant :",
        "source": "Source :",
        "online": "Lire ce numéro en ligne",
        "your_topics": "Vos sujets :",
        "all_topics": "tous les sujets",
        "why": "Vous recevez ce courriel car vous êtes abonné·e à la lettre hebdomadaire "
        "de kztrack.",
        "preferences": "Changer mes sujets ou ma langue",
        "unsubscribe": "Se désabonner",
        "awaiting": "Prévu, à confirmer",
        "test": "[TEST]",
        "test_note": "Ceci est un essai envoyé à la rédaction : aucun abonné ne l'a reçu.",
    },
    "en": {
        "lang": "en",
        "title": "What's new in Kazakhstan this week? Issue {number}",
        "masthead": "What's new in Kazakhstan this week?",
        "number": "Issue {number}",
        "week": "Week of {first} to {last}",
        "lead": "Top story",
        "this_week": "This week",
        "upcoming": "Coming up",
        "unscheduled": "Date to be confirmed",
        "corrections": "Corrections",
        "archive": "Added to the archive",
        "archive_intro": "Recorded in the tracker this week (developments are written in French):",
        "to_confirm": "Awaiting confirmation",
        "more_one": "and 1 more",
        "more": "and {n} more",
        "nothing": "Nothing new this week.",
        "previously": "previously:",
        "source": "Source:",
        "online": "Read this issue online",
        "your_topics": "Your topics:",
        "all_topics": "all topics",
        "why": "You receive this email because you subscribed to kztrack's weekly digest.",
        "preferences": "Change my topics or language",
        "unsubscribe": "Unsubscribe",
        "awaiting": "Scheduled, to be confirmed",
        "test": "[TEST]",
        "test_note": "This is a test sent to the editors: no subscriber received it.",
    },
}

ARCHIVE_CAP = 5


def words_for(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["fr"])


def digest_title(*, number: int, lang: str = "fr") -> str:
    """'Quoi de neuf au Kazakhstan cette semaine ? Numéro 56'."""
    return words_for(lang)["title"].format(number=number)


def week_in_words(monday: datetime.date, sunday: datetime.date, lang: str) -> str:
    """'Semaine du 24 au 30 novembre 2025', 'Week of 24 to 30 November 2025'; the month and
    the year are said once when the two days share them."""
    last = dates.display(sunday.isoformat(), lang)
    first = dates.display(monday.isoformat(), lang)
    if monday.year == sunday.year:
        first = first.rsplit(" ", 1)[0]  # "24 novembre 2025" → "24 novembre"
        if monday.month == sunday.month:
            first = first.split(" ", 1)[0]  # → "24", "1er"
    return words_for(lang)["week"].format(first=first, last=last)


def _label(item: dict, lang: str) -> str:
    """What changed, from the event-type registry ("Corrigé"); for the week's news, only
    a development still scheduled (its date has come, no one has confirmed it yet)."""
    if item["action"]:
        return selectors.action_label(action=item["action"], lang=lang)
    # A development still scheduled whose date has come (the read model's status, or the
    # status readers see once its date has passed) is awaiting confirmation.
    waiting = (selectors.Status.SCHEDULED, "awaiting_confirmation")
    return words_for(lang)["awaiting"] if item["status"] in waiting else ""


def _source_date(text: str, lang: str) -> str:
    return dates.display(text, lang) if text and dates.is_valid(text) else text


def _shown(item: dict, lang: str, *, label: bool = False) -> dict:
    """An item in the reader's language. Labels say what changed (Rectificatifs) or that a
    development of the week awaits confirmation; the agenda needs none."""
    source = item.get("source")
    return {
        **item,
        "label": _label(item, lang) if label or item.get("action") else "",
        # Scheduled, its date passed, nobody confirmed it yet: said wherever it is listed.
        "awaiting": item.get("status") == "awaiting_confirmation",
        "date_display": dates.display(item["date"], lang),
        "previous_date_display": dates.display(item["previous_date"], lang)
        if item.get("previous_date")
        else "",
        "source": {**source, "date": _source_date(source.get("date", ""), lang)}
        if source
        else None,
    }


def digest_view(
    content: dict[str, Any],
    *,
    number: int,
    lang: str = "fr",
    topics: list[str] | None = None,
) -> dict[str, Any]:
    """What one reader sees of an issue: the sections of the topics they follow (None:
    all), in their language. Cette semaine is grouped by topic; a development with several
    topics appears once, under the first of its topics the reader follows. The lead and
    the editors' introduction are for every reader."""
    words = words_for(lang)
    followed = None if topics is None else set(topics)

    def kept(items: list[dict]) -> list[dict]:
        return [
            _shown(item, lang)
            for item in items
            if followed is None or followed & set(item["topics"])
        ]

    groups: dict[str, dict[str, Any]] = {
        topic["slug"]: {"slug": topic["slug"], "name": topic.get(lang) or topic["fr"], "items": []}
        for topic in content["topics"]
        if followed is None or topic["slug"] in followed
    }
    for item in content["this_week"]:
        slug = next((s for s in item["topics"] if s in groups), None)
        if slug is not None:
            groups[slug]["items"].append(_shown(item, lang, label=True))
    archive = kept(content["archive"])
    more = len(archive) - ARCHIVE_CAP
    monday = datetime.date.fromisoformat(content["monday"])
    sunday = datetime.date.fromisoformat(content["sunday"])
    view: dict[str, Any] = {
        "words": words,
        "lang": lang,
        "masthead": words["masthead"],
        "number_display": words["number"].format(number=number),
        "week_display": week_in_words(monday, sunday, lang),
        "introduction": [p.strip() for p in content["introduction"].split("\n\n") if p.strip()],
        "lead": _shown(content["lead"], lang) if content.get("lead") else None,
        "this_week": [group for group in groups.values() if group["items"]],
        "upcoming": kept(content["upcoming"]),
        "unscheduled": kept(content["unscheduled"]),
        "corrections": kept(content["corrections"]),
        "archive": archive[:ARCHIVE_CAP],
        "archive_more": (words["more_one"] if more == 1 else words["more"].format(n=more))
        if more > 0
        else "",
        "archive_url": f"{settings.SITE_URL}/",
    }
    sections = ("lead", "this_week", "upcoming", "unscheduled", "corrections", "archive")
    view["nothing"] = not any(view[name] for name in sections)
    return view


@dataclass(frozen=True)
class IssueBody:
    """An issue's content as one kind of reader sees it (a language, the topics followed):
    the costly part of a digest message, the same for every reader of that kind. The frame
    around it (title, footer, the reader's own links) is rendered per message."""

    html: str  # safe: rendered by the template, editors' text escaped there
    text: str  # tidied already: the frame around it is tidied again, at little cost


def issue_body(
    content: dict[str, Any], *, number: int, lang: str = "fr", topics: list[str] | None = None
) -> IssueBody:
    """The issue's sections for one kind of reader, through the two content templates."""
    context = digest_view(content, number=number, lang=lang, topics=topics)
    return IssueBody(
        html=render_to_string("emails/_digest-content.html", context),
        text=tidy_text(render_to_string("emails/_digest-content.txt", context)),
    )


def digest_render(
    content: dict[str, Any], *, number: int, lang: str = "fr", topics: list[str] | None = None
) -> tuple[str, str]:
    """(html, text) of the issue's body for one reader; the HTML carries inline CSS."""
    body = issue_body(content, number=number, lang=lang, topics=topics)
    return body.html, body.text


def _mentioned(content: dict[str, Any]) -> set[str]:
    """Every topic slug the issue names: its topic list and each item's topics."""
    slugs = {topic["slug"] for topic in content["topics"]}
    items = [content["lead"]] if content.get("lead") else []
    for name in ("this_week", "upcoming", "unscheduled", "corrections", "archive"):
        items += content[name]
    return slugs.union(*(item["topics"] for item in items))


def reader_kind(content: dict[str, Any], topics: list[str] | None) -> tuple[str, ...] | None:
    """What of a reader's topics changes their view of this issue: those it names (None
    for all topics). Readers of one language and one kind see the same sections."""
    if topics is None:
        return None
    return tuple(sorted(set(topics) & _mentioned(content)))


# A published issue never changes (Digest is frozen), so each worker process renders its
# body once per (language, kind of reader) and keeps the last few hundred.
BODY_CACHE_SIZE = 512
_bodies: OrderedDict[tuple, IssueBody] = OrderedDict()


def digest_body(*, digest: Digest, lang: str, topics: list[str] | None) -> IssueBody:
    """issue_body for a published issue, rendered once per process for each kind of
    reader: what a fan-out of 100,000 messages renders a few dozen times."""
    kind = reader_kind(digest.content, topics)
    key = (digest.uuid, digest.number, lang, kind)
    body = _bodies.get(key)
    if body is not None:
        _bodies.move_to_end(key)
        return body
    body = issue_body(
        digest.content,
        number=digest.number,
        lang=lang,
        topics=None if kind is None else list(kind),
    )
    _bodies[key] = body
    if len(_bodies) > BODY_CACHE_SIZE:
        _bodies.popitem(last=False)
    return body


TEXT_WIDTH = 72


def _wrapped(line: str) -> list[str]:
    """A long line of prose wrapped at TEXT_WIDTH, keeping its indent; links stay whole."""
    if len(line) <= TEXT_WIDTH or "://" in line:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    # A list item's next lines align with its text, after the bullet.
    hanging = indent + "  " if line.lstrip()[:2] in ("* ", "- ") else indent
    return textwrap.wrap(
        line.strip(),
        TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )


def tidy_text(text: str) -> str:
    """Plain text from a template, as an email reads: no trailing spaces, at most one blank
    line in a row, prose wrapped at 72 characters."""
    lines = [wrapped for line in text.strip().splitlines() for wrapped in _wrapped(line.rstrip())]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


@dataclass(frozen=True)
class Recipient:
    """Who a digest is rendered for: a subscriber, or an editor asking for a test."""

    email: str
    language: str
    topics: list[str] | None  # slugs followed; None for all topics
    topic_names: list[str]  # the same, in the recipient's language, for the footer
    unsubscribe_url: str
    preferences_url: str


class Message(EmailMultiAlternatives):
    """Django's message with headers kept within the RFCs, whatever the backend: RFC 2047
    encoded words of at most 75 characters, lines folded at 78 octets (RFC 5322 2.1.1).

    Django encodes a non-ASCII header as one Header with no name and a 76-character
    limit, so an encoded word can reach 76 characters and its line, with the header's
    name, more than 78. Here such headers are encoded again knowing their name, and the
    message is written out with lines folded at 76 (a continuation line is a space and
    one encoded word: at most 75 characters).
    """

    def message(self):
        msg = super().message()
        msg.policy = FOLDED
        for name in ENCODED_HEADERS:
            value = self._header_text(name)
            if value is not None and not value.isascii():
                del msg[name]
                # Message.__setitem__ itself: Django's would turn the Header into text.
                PyMessage.__setitem__(msg, name, _Utf8Header(value, "utf-8", header_name=name))
        if msg.is_multipart():
            _choose_boundary(msg)
        return msg

    def _header_text(self, name: str) -> str | None:
        if name == "Subject":
            return str(self.subject)
        headers = {k.lower(): str(v) for k, v in self.extra_headers.items()}
        return headers.get(name.lower())


class _Utf8Header(Header):
    """A header of one UTF-8 text, as Message.message() makes them: FOLDED encodes each
    text once per process (the same subject goes to thousands of readers)."""


class _Folded(Compat32):
    """compat32 with lines folded at 76, for less: compat32 passes every header through
    email.header.Header, even a short ASCII one that needs neither encoding nor folding,
    and encodes the same subject afresh for every message. Here a header that fits on its
    line is written as it is (what Header gives for it), and a _Utf8Header is encoded once
    per text; anything else is compat32's."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and value == value.strip()
            and "  " not in value
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}"
        if type(value) is _Utf8Header:
            return _folded_utf8(name, str(value), self.linesep, self.max_line_length)
        return super()._fold(name, value, sanitize)


@functools.lru_cache(maxsize=256)
def _folded_utf8(name: str, text: str, linesep: str, width: int) -> str:
    encoded = Header(text, "utf-8", header_name=name).encode(linesep=linesep, maxlinelen=width)
    return f"{name}: {encoded}{linesep}"


def _choose_boundary(msg: PyMessage) -> None:
    """Set the multipart boundary the generator would draw (Generator._make_boundary), when
    no part holds it: the generator's own check compiles a regular expression per message."""
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
    parts = [part for part in msg.get_payload() if isinstance(part, PyMessage)]
    if not any(f"--{boundary}" in str(part.get_payload()) for part in parts):
        msg.set_boundary(boundary)


# Headers whose text may be non-ASCII (addresses are Django's sanitize_address's job).
ENCODED_HEADERS = ("Subject", "List-Id")
FOLDED = _Folded(max_line_length=76)


def message_build(
    *, template: str, context: dict, to: str, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """The message from emails/<template>-subject.txt, -body.txt and -body.html, dated in
    our time zone (not -0000) and with a Message-ID from our own domain."""
    subject = render_to_string(f"emails/{template}-subject.txt", context)
    text = tidy_text(render_to_string(f"emails/{template}-body.txt", context))
    html = render_to_string(f"emails/{template}-body.html", context)
    message = Message(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Date": format_datetime(timezone.localtime()),
            "Message-ID": make_msgid(domain=settings.SITE_DOMAIN),
            **(headers or {}),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def list_id() -> str:
    return f"Quoi de neuf au Kazakhstan <digest.{settings.SITE_DOMAIN}>"


def digest_message_id(*, digest: Digest, delivery_id: int) -> str:
    """The same Message-ID every time a delivery is (re)sent: a receiver that sees it twice
    can tell it is one message."""
    return f"<digest-{digest.number}.{delivery_id}@{settings.SITE_DOMAIN}>"


def issue_message(
    *,
    content: dict[str, Any],
    number: int,
    recipient: Recipient,
    message_id: str,
    test: bool = False,
    body: IssueBody | None = None,
) -> EmailMultiAlternatives:
    """An issue's content for one recipient: their topics, their language, one-click
    unsubscribe. A test (a draft or a published issue sent to an editor) says so in its
    subject and at its top. `body`: the issue already rendered for this recipient's kind
    (digest_body), else it is rendered here."""
    lang = recipient.language
    if body is None:
        body = issue_body(content, number=number, lang=lang, topics=recipient.topics)
    words = words_for(lang)
    title = digest_title(number=number, lang=lang)
    context = {
        "words": words,
        "lang": lang,
        "body": body,
        "title": f"{words['test']} {title}" if test else title,
        "test": test,
        "recipient": recipient,
        "online_url": f"{settings.SITE_URL}/digests/{number}/",
    }
    headers = {
        "Message-ID": message_id,
        "List-Id": list_id(),
        "List-Unsubscribe": f"<{recipient.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": lang,
    }
    return message_build(template="digest", context=context, to=recipient.email, headers=headers)


def digest_message(
    *, digest: Digest, recipient: Recipient, message_id: str, test: bool = False
) -> EmailMultiAlternatives:
    """A published issue for one recipient, from its frozen content; its body is rendered
    once per kind of reader (digest_body) and only the frame is the recipient's."""
    return issue_message(
        content=digest.content,
        number=digest.number,
        recipient=recipient,
        message_id=message_id,
        test=test,
        body=digest_body(digest=digest, lang=recipient.language, topics=recipient.topics),
    )


def confirmation_message(*, email: str, language: str, confirm_url: str) -> EmailMultiAlternatives:
    """The double opt-in message: nothing else is sent before its link is followed."""
    with translation.override(language):
        return message_build(
            template="confirm",
            context={"confirm_url": confirm_url, "site_url": settings.SITE_URL, "lang": language},
            to=email,
        )
