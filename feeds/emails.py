"""Every email goes through `message_build`: three templates (subject, text, HTML) make
one multipart/alternative message. The digest and the confirmation are built here, and so
is the rendering of an issue's frozen content for one reader (its words in French and
English, its sections), which the web archive shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from feeds import weeks
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
        "week": "Semaine {number} : {days}",
        "scheduled": "Prévu",
        "awaiting_confirmation": "À confirmer",
        "intro": "Ce qui a été consigné cette semaine dans le suivi des relations "
        "entre le Kazakhstan et l'Union européenne, par sujet.",
        "nothing": "Rien de nouveau cette semaine.",
        "upcoming": "À venir dans les prochaines semaines",
        "previously": "auparavant :",
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
        "lang": "en",
        "title": "What's new in Kazakhstan this week? Issue {number}",
        "week": "Week {number}: {days}",
        "scheduled": "Scheduled",
        "awaiting_confirmation": "Awaiting confirmation",
        "intro": "What was recorded this week in the tracker of relations between "
        "Kazakhstan and the European Union, by topic (developments are written in French).",
        "nothing": "Nothing new this week.",
        "upcoming": "Coming up in the next weeks",
        "corrected": "Correction",
        "previously": "previously:",
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


def _label(item: dict, words: dict[str, str]) -> str:
    """The mark before an item: what changed, or nothing for plain news and upcoming."""
    action = item["action"]
    if action == "recorded":
        # A development recorded as scheduled whose date had passed at publication is
        # awaiting confirmation, never "Prévu".
        status = item["status"]
        return words[status] if status in ("scheduled", "awaiting_confirmation") else ""
    if action == "scheduled":
        return ""  # its section says it is to come
    return selectors.action_label(action=action, lang=words["lang"])


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
    number = weeks.week_parse(content["week"])[1]
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


@dataclass(frozen=True)
class Recipient:
    """Who a digest is rendered for: a subscriber, or an editor asking for a test."""

    email: str
    language: str
    topics: list[str] | None  # slugs followed; None for all topics
    topic_names: list[str]  # the same, in the recipient's language, for the footer
    unsubscribe_url: str
    preferences_url: str


def message_build(
    *, template: str, context: dict, to: str, headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    """The message from emails/<template>-subject.txt, -body.txt and -body.html."""
    subject = render_to_string(f"emails/{template}-subject.txt", context)
    text = tidy_text(render_to_string(f"emails/{template}-body.txt", context))
    html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # A Message-ID from our own domain, not the sending host's name.
        headers={"Message-ID": make_msgid(domain=settings.SITE_DOMAIN), **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def list_id() -> str:
    return f"Quoi de neuf au Kazakhstan <digest.{settings.SITE_DOMAIN}>"


def digest_message_id(*, digest: Digest, delivery_id: int) -> str:
    """The same Message-ID every time a delivery is (re)sent: a receiver that sees it twice
    can tell it is one message."""
    return f"<digest-{digest.number}.{delivery_id}@{settings.SITE_DOMAIN}>"


def digest_message(
    *, digest: Digest, recipient: Recipient, message_id: str, test: bool = False
) -> EmailMultiAlternatives:
    """The issue for one recipient: their topics, their language, one-click unsubscribe."""
    view = digest_view(digest.content, lang=recipient.language, topics=recipient.topics)
    words = view["words"]
    title = digest_title(number=digest.number, lang=recipient.language)
    context = {
        **view,
        "digest": digest,
        "title": f"{words['test']} {title}" if test else title,
        "recipient": recipient,
        "online_url": f"{settings.SITE_URL}/digests/{digest.number}/",
    }
    headers = {
        "Message-ID": message_id,
        "List-Id": list_id(),
        "List-Unsubscribe": f"<{recipient.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": recipient.language,
    }
    return message_build(template="digest", context=context, to=recipient.email, headers=headers)


def confirmation_message(*, email: str, language: str, confirm_url: str) -> EmailMultiAlternatives:
    """The double opt-in message: nothing else is sent before its link is followed."""
    with translation.override(language):
        return message_build(
            template="confirm",
            context={"confirm_url": confirm_url, "site_url": settings.SITE_URL, "lang": language},
            to=email,
        )
