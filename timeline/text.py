"""The one text validator: every string kztrack stores or filters by passes through here.

Commands (development fields, notes, reasons), the reference data (topics, actors, through
their model fields' validators), slugs sent to the API, list filters and the backup's
restore all call `clean_text` or `refuse_unstorable`, so a character that PostgreSQL
refuses (NUL), that XML cannot carry (other C0 controls, U+FFFE/U+FFFF) or that cannot be
encoded at all (a lone surrogate) is a validation error naming the field, never a 500
later in a feed or a database write.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

CONTROL_MESSAGE = "Control characters (such as NUL) are not allowed."
NOT_TEXT_MESSAGE = "Characters that are not text (such as U+FFFF) are not allowed."
MULTILINE = frozenset("\n\t\r")


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    allowed = MULTILINE if multiline else frozenset()
    for c in value:
        code = ord(c)
        if (code < 32 and c not in allowed) or 0x7F <= code <= 0x9F:
            return CONTROL_MESSAGE
        if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            return NOT_TEXT_MESSAGE
    return None


def refuse_unstorable(value: str, field: str, *, multiline: bool = False) -> None:
    """Raise a ValidationError naming `field` when `value` holds a character that is not text."""
    message = problem(value, multiline=multiline)
    if message:
        raise ValidationError({field: message})


def clean_text(
    value: Any, field: str, *, max_length: int, required: bool = False, multiline: bool = False
) -> str:
    """A stripped string of at most `max_length` characters, one line unless `multiline`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters (this has {len(value)})."})
    refuse_unstorable(value, field, multiline=multiline)
    if not multiline and ("\n" in value or "\r" in value):
        raise ValidationError({field: "Must be a single line."})
    return value.replace("\r\n", "\n")


@deconstructible
class TextValidator:
    """The same rule as a model field validator (topics' and actors' names, descriptions)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            message = problem(value, multiline=self.multiline)
            if message:
                raise ValidationError(message, code="control_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


single_line = TextValidator()
multi_line = TextValidator(multiline=True)
