"""Every message as it comes over the wire from our SMTP client to a real SMTP server,
parsed with Python's email package (policy=default): no defects, RFC 2047 encoded words
of at most 75 characters, header lines folded at 78 octets, a Date in our real time zone,
multipart/alternative text + HTML, and the one-click unsubscribe headers intact."""

import datetime
import email
import re
from email import policy
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from feeds import tasks, weeks
from tests.feeds.conftest import record, subscriber

pytestmark = pytest.mark.django_db

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


@pytest.fixture
def over_smtp(over_smtp, settings):
    settings.SITE_URL = "https://suivi-kazakhstan-union-europeenne.example"
    settings.SITE_DOMAIN = "suivi-kazakhstan-union-europeenne.example"
    return over_smtp


def test_every_message_is_well_formed_on_the_wire(
    over_smtp, world, client, django_capture_on_commit_callbacks
):
    subscriber("lecteur@example.org", language="fr")
    subscriber("reader@example.org", language="en", topics=[world["epca"]])
    development = record(
        title="Réunion à Astana : négociations élargies sur l’accord, étape décisive",
        topics=["epca"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.digest_publish_and_fan_out(
            week=weeks.week_of(development.first_recorded_at), force=True
        )
        client.post(
            "/subscribe/",
            {"email": "nouvelle@example.org", "language": "fr", "scope": "all"},
        )
    assert len(over_smtp.raw) == 3  # two issues and one confirmation
    encoded: list[bytes] = []

    for raw in over_smtp.raw:
        message = email.message_from_bytes(raw, policy=policy.default)
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert not message.defects, message.defects
        assert all(not part.defects for part in message.walk())
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        # Folded at 78 wherever whitespace allows; a token longer than a line by itself
        # (the unsubscribe URL, a Message-ID) stays whole on its own line: RFC 5322 2.2.3
        # folds only at whitespace, and RFC 8058 needs the URL intact.
        long = [line for line in head.split(b"\r\n") if len(line) > 78]
        assert all(re.fullmatch(rb" <\S+>", line) for line in long), long
        words = ENCODED_WORD.findall(head)
        encoded += words
        assert all(len(word) <= 75 for word in words), words
        assert b"-0000" not in head
        sent = parsedate_to_datetime(str(message["Date"]))
        brussels = timezone.now().astimezone(ZoneInfo("Europe/Brussels")).utcoffset()
        assert sent.tzinfo is not None and sent.utcoffset() == brussels
        assert abs(sent - timezone.now()) < datetime.timedelta(minutes=5)
        assert message["Subject"].isprintable()

    assert len(encoded) >= 4  # the French subjects need them
    digests = [
        email.message_from_bytes(raw, policy=policy.default)
        for raw in over_smtp.raw
        if b"List-Unsubscribe" in raw
    ]
    assert len(digests) == 2
    subjects = {str(m["Subject"]) for m in digests}
    assert subjects == {
        "Quoi de neuf au Kazakhstan cette semaine ? Numéro 1",
        "What's new in Kazakhstan this week? Issue 1",
    }
    for message in digests:
        unsubscribe = str(message["List-Unsubscribe"]).strip()
        assert re.fullmatch(
            r"<https://suivi-kazakhstan-union-europeenne\.example/unsubscribe/[^>\s]+/>",
            unsubscribe,
        ), unsubscribe
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",)).get_content()
        assert "Semaine du" in text or "Week of" in text
        assert all(len(line) <= 78 or "://" in line for line in text.splitlines())


def test_headers_are_folded_as_compat32_folds_them_at_76():
    """The policy's shortcuts (a header that fits written as it is, a UTF-8 subject encoded
    once) give compat32's bytes exactly, for any text."""
    import random
    import string
    from email.header import Header
    from email.policy import compat32

    from feeds import emails

    ours = emails.FOLDED.clone(linesep="\r\n")
    theirs = compat32.clone(max_line_length=76, linesep="\r\n")

    def folded(policy, name, value):
        try:
            return policy.fold(name, value)
        except Exception as error:  # an injected header: refused alike
            return repr(error)

    rng = random.Random(5322)
    alphabet = string.printable + "éàç’«» "
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 5, 30, 60, 70, 90])))
        name = rng.choice(["Subject", "List-Id", "To", "Message-ID", "List-Unsubscribe"])
        assert folded(ours, name, text) == folded(theirs, name, text), (name, text)
        utf8 = emails._Utf8Header(text, "utf-8", header_name=name)
        plain = Header(text, "utf-8", header_name=name)
        assert folded(ours, name, utf8) == folded(theirs, name, plain), (name, text)
