"""The feeds' and emails' last line of defence: text that XML, iCalendar and mail can carry.

Stored text is validated on the way in (timeline/text.py), but rows written before that
rule, reference data edited by hand, or a digest frozen long ago must still render: a feed
that answers 500 because of one character stays broken until someone edits the row (and a
published digest never changes). Every string a feed, a calendar or an email takes from
the database goes through `feed_text`, which drops the characters XML 1.0 forbids (C0
controls but tab and line breaks, lone surrogates, U+FFFE and U+FFFF).
"""

from __future__ import annotations

import re

# XML 1.0's Char production, negated: everything a document may not contain.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def feed_text(value: object) -> str:
    """`value` as a string without the characters XML, iCalendar and mail headers refuse."""
    return _NOT_XML.sub("", "" if value is None else str(value))
