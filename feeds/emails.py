"""Every email goes through `message_build`: three templates (subject, text, HTML) make
one multipart/alternative message. The digest and the confirmation are built here."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from feeds import digests
from feeds.models import Digest


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
    text = digests.tidy_text(render_to_string(f"emails/{template}-body.txt", context))
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
    view = digests.digest_view(digest.content, lang=recipient.language, topics=recipient.topics)
    words = view["words"]
    title = digests.digest_title(number=digest.number, lang=recipient.language)
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
