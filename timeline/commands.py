"""The commands editors, the API and the seed loader give: one validation path for all.

Each command validates its input, checks the version the caller saw, and appends exactly
one event through `timeline.log.append`. Bad input raises
django.core.exceptions.ValidationError with a message per field; a stale version raises
timeline.exceptions.ConcurrencyConflict. Either way nothing is appended.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from timeline import dates, events, log, projections
from timeline.exceptions import DevelopmentNotFound
from timeline.models import Actor, Development, Kind, Stage, Status, Topic

TITLE_MAX = 200
SUMMARY_MAX = 5000
PLACE_MAX = 200
NOTE_MAX = 2000
DATE_NOTE_MAX = 500
ROLE_MAX = 200
QUOTE_MAX = 5000
SOURCE_FIELD_MAX = {"publication": 200, "title": 300, "author": 200, "url": 500}
MAX_TOPICS = 8
MAX_ACTORS = 30
MAX_SOURCES = 10

# The fields a correction may change. Status moves only through its own commands.
CORRECTABLE = events.DEVELOPMENT_FIELDS


# --- validation -------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_length: int, required: bool, multiline: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"At most {max_length} characters (this has {len(value)})."})
    allowed = {"\n", "\t", "\r"} if multiline else set()
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in value):
        raise ValidationError({field: "Control characters (such as NUL) are not allowed."})
    # Lone surrogates cannot be stored, and U+FFFE/U+FFFF cannot appear in XML: either
    # would break the database write or every feed that shows the text.
    if any(0xD800 <= ord(c) <= 0xDFFF or ord(c) in (0xFFFE, 0xFFFF) for c in value):
        raise ValidationError(
            {field: "Characters that are not text (such as U+FFFF) are not allowed."}
        )
    if not multiline and ("\n" in value or "\r" in value):
        raise ValidationError({field: "Must be a single line."})
    return value.replace("\r\n", "\n")


def _choice(
    value: Any, field: str, choices: type[models.TextChoices], *, blank: bool = False
) -> str:
    if blank and value in (None, ""):
        return ""
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"Unknown value {value!r}; expected one of: {allowed}."})
    return str(value)


def _date(value: Any, field: str = "date") -> str:
    if not isinstance(value, str):
        raise ValidationError({field: "Must be an EDTF date such as 2025-03-27 or 2022-10."})
    try:
        return dates.parse(value).text
    except dates.InvalidDate as exc:
        raise ValidationError({field: str(exc)}) from None


def _refuse_unknown(
    model: type[Topic] | type[Actor], slugs: list[str], field: str, noun: str
) -> None:
    known = set(model.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise ValidationError({field: f"Unknown {noun}: {', '.join(unknown)}."})


def _topics(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
        raise ValidationError({"topics": "Must be a list of topic slugs."})
    slugs = list(dict.fromkeys(s.strip() for s in value if s.strip()))
    if not slugs:
        raise ValidationError({"topics": "Choose at least one topic."})
    if len(slugs) > MAX_TOPICS:
        raise ValidationError({"topics": f"At most {MAX_TOPICS} topics."})
    _refuse_unknown(Topic, slugs, "topics", "topic")
    return slugs


def _actors(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"actors": "Must be a list of {actor, role}."})
    if len(value) > MAX_ACTORS:
        raise ValidationError({"actors": f"At most {MAX_ACTORS} actors."})
    cleaned: list[dict[str, str]] = []
    for item in value:
        if isinstance(item, str):
            item = {"actor": item, "role": ""}
        if not isinstance(item, dict) or not isinstance(item.get("actor"), str):
            raise ValidationError({"actors": "Each actor needs an `actor` slug."})
        role = _text(
            item.get("role", ""), "actors", max_length=ROLE_MAX, required=False, multiline=False
        )
        cleaned.append({"actor": item["actor"].strip(), "role": role})
    slugs = [a["actor"] for a in cleaned]
    if len(set(slugs)) != len(slugs):
        raise ValidationError({"actors": "An actor is listed twice."})
    _refuse_unknown(Actor, slugs, "actors", "actor")
    return cleaned


def _sources(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"sources": "Must be a list of sources."})
    if len(value) > MAX_SOURCES:
        raise ValidationError({"sources": f"At most {MAX_SOURCES} sources."})
    cleaned = []
    for item in value:
        if not isinstance(item, dict):
            raise ValidationError({"sources": "Each source must be an object."})
        source = {
            key: _text(
                item.get(key, ""), "sources", max_length=limit, required=False, multiline=False
            )
            for key, limit in SOURCE_FIELD_MAX.items()
        }
        source["quote"] = _text(
            item.get("quote", ""), "sources", max_length=QUOTE_MAX, required=False, multiline=True
        )
        source["date"] = _date(item["date"], "sources") if item.get("date") else ""
        if not source["publication"] and not source["title"]:
            raise ValidationError({"sources": "Each source needs a publication or a title."})
        if source["url"]:
            try:
                URLValidator(schemes=["http", "https"])(source["url"])
            except ValidationError:
                raise ValidationError(
                    {"sources": f"Not a valid http(s) URL: {source['url']!r}."}
                ) from None
        cleaned.append(source)
    return cleaned


FIELD_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": lambda v: _text(v, "title", max_length=TITLE_MAX, required=True, multiline=False),
    "summary": lambda v: _text(
        v, "summary", max_length=SUMMARY_MAX, required=False, multiline=True
    ),
    "kind": lambda v: _choice(v, "kind", Kind),
    "date": _date,
    "date_note": lambda v: _text(
        v, "date_note", max_length=DATE_NOTE_MAX, required=False, multiline=False
    ),
    "place": lambda v: _text(v, "place", max_length=PLACE_MAX, required=False, multiline=False),
    "stage": lambda v: _choice(v, "stage", Stage, blank=True),
    "topics": _topics,
    "actors": _actors,
    "sources": _sources,
}


assert tuple(FIELD_CLEANERS) == events.DEVELOPMENT_FIELDS, "a development field has no cleaner"


def clean_fields(raw: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate development fields; every field at fault is named in one ValidationError."""
    unknown = sorted(set(raw) - set(FIELD_CLEANERS) - {"status"})
    errors: dict[str, list[str]] = {}
    for name in unknown:
        errors[name] = ["Unknown field."]
    cleaned: dict[str, Any] = {}
    for name, cleaner in FIELD_CLEANERS.items():
        if name not in raw:
            if partial:
                continue
            if name in events.REQUIRED_FIELDS:
                errors[name] = ["This field is required."]
                continue
            raw_value: Any = [] if name in events.LIST_FIELDS else ""
        else:
            raw_value = raw[name]
        try:
            cleaned[name] = cleaner(raw_value)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _note(value: Any, field: str, *, required: bool) -> str:
    return _text(value, field, max_length=NOTE_MAX, required=required, multiline=True)


def _fingerprint(command: str, arguments: dict[str, Any]) -> str:
    """What a command was asked to do, minus who asked and how: equal for a true retry."""
    asked = {
        k: v
        for k, v in arguments.items()
        if k not in {"by", "via", "request_id", "idempotency_key"}
    }
    canonical = json.dumps([command, asked], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _begin(command: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], Development | None]:
    """Who asks and how (with the request's fingerprint), and the development a retry with
    the same idempotency key already produced, if this is one."""
    fingerprint = _fingerprint(command, arguments)
    origin = {k: arguments.get(k) for k in ("by", "via", "idempotency_key", "request_id")}
    origin["fingerprint"] = fingerprint
    return origin, _replayed(arguments.get("idempotency_key"), fingerprint)


def _replayed(idempotency_key: str | None, fingerprint: str) -> Development | None:
    """The development a command with this key already produced: a retry is a no-op."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > log.IDEMPOTENCY_KEY_MAX:
        raise ValidationError({"idempotency_key": f"At most {log.IDEMPOTENCY_KEY_MAX} characters."})
    event = log.find_by_idempotency_key(idempotency_key)
    if event is None:
        return None
    log.check_replay(event, fingerprint)
    return Development.objects.filter(pk=event.stream_id).first()


def _current(id: uuid.UUID | str) -> events.State:
    """The development's current state (fields, topics, actors), as events and the
    projection see it: the command validates against it and the projection starts from it."""
    try:
        key = id if isinstance(id, uuid.UUID) else uuid.UUID(str(id))
    except ValueError:
        raise DevelopmentNotFound(id) from None
    state = projections.load_states([key]).get(key)
    if state is None:
        raise DevelopmentNotFound(id)
    return state


def _refuse_if_retracted(development: events.State) -> None:
    if development["status"] == Status.RETRACTED:
        raise ValidationError(
            {"status": "This development was retracted; it can no longer change."}
        )


def _append(
    development: events.State,
    expected_version: int,
    type_: str,
    data: dict[str, Any],
    ctx: dict[str, Any],
) -> Development:
    log.append(
        stream_id=development["id"],
        expected_version=expected_version,
        type=type_,
        data=data,
        by=ctx["by"],
        via=ctx["via"],
        request_id=ctx.get("request_id"),
        idempotency_key=ctx.get("idempotency_key"),
        fingerprint=ctx.get("fingerprint"),
        before=development,
    )
    return Development.objects.get(pk=development["id"])


# --- commands ---------------------------------------------------------------------------


def development_record(
    *,
    fields: dict[str, Any],
    by: str,
    via: str,
    id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """Record a new development (status scheduled or took_place)."""
    origin, replayed = _begin("development_record", locals())
    if replayed is not None:
        return replayed
    cleaned = clean_fields(fields, partial=False)
    status = fields.get("status") or Status.TOOK_PLACE
    if status not in (Status.SCHEDULED, Status.TOOK_PLACE):
        raise ValidationError({"status": "A new development is either scheduled or took place."})
    cleaned["status"] = str(status)
    stream_id = id or uuid.uuid4()
    appended = log.append(
        stream_id=stream_id,
        expected_version=0,
        type=events.RECORDED,
        data=cleaned,
        by=by,
        via=via,
        request_id=request_id,
        idempotency_key=idempotency_key,
        fingerprint=origin["fingerprint"],
    )
    return Development.objects.get(pk=appended.event.stream_id)


def development_correct(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    changes: dict[str, Any],
    note: str = "",
    silent: bool = False,
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """Change fields: a public correction with a note, or a silent fix (a typo)."""
    origin, replayed = _begin("development_correct", locals())
    if replayed is not None:
        return replayed
    development = _current(id)
    _refuse_if_retracted(development)
    if "status" in changes:
        raise ValidationError({"status": "Use confirm, cancel or retract to change the status."})
    cleaned = clean_fields(changes, partial=True)
    cleaned = {k: v for k, v in cleaned.items() if development.get(k) != v}
    if not cleaned:
        raise ValidationError({"__all__": "Nothing changed."})
    note = _note(note, "note", required=not silent)
    return _append(
        development,
        expected_version,
        events.CORRECTED,
        {"changes": cleaned, "note": note, "silent": bool(silent)},
        origin,
    )


def development_reschedule(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    date: str,
    note: str = "",
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """Move a scheduled development to another date."""
    origin, replayed = _begin("development_reschedule", locals())
    if replayed is not None:
        return replayed
    development = _current(id)
    if development["status"] != Status.SCHEDULED:
        raise ValidationError({"status": "Only a scheduled development can be rescheduled."})
    new_date = _date(date)
    if new_date == development["date"]:
        raise ValidationError({"date": "This is already the date."})
    return _append(
        development,
        expected_version,
        events.RESCHEDULED,
        {
            "date": new_date,
            "previous_date": development["date"],
            "note": _note(note, "note", required=False),
        },
        origin,
    )


def development_confirm(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    date: str | None = None,
    note: str = "",
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """A scheduled development took place (on its date, or on a more precise one)."""
    origin, replayed = _begin("development_confirm", locals())
    if replayed is not None:
        return replayed
    development = _current(id)
    if development["status"] != Status.SCHEDULED:
        raise ValidationError({"status": "Only a scheduled development can be confirmed."})
    data: dict[str, Any] = {"note": _note(note, "note", required=False)}
    if date:
        data["date"] = _date(date)
    return _append(
        development,
        expected_version,
        events.CONFIRMED,
        data,
        origin,
    )


def development_cancel(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    reason: str,
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """A scheduled development will not take place."""
    origin, replayed = _begin("development_cancel", locals())
    if replayed is not None:
        return replayed
    development = _current(id)
    if development["status"] != Status.SCHEDULED:
        raise ValidationError({"status": "Only a scheduled development can be cancelled."})
    return _append(
        development,
        expected_version,
        events.CANCELLED,
        {"reason": _note(reason, "reason", required=True)},
        origin,
    )


def development_retract(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    reason: str,
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """Withdraw a development that should not have been published; its page stays, marked."""
    origin, replayed = _begin("development_retract", locals())
    if replayed is not None:
        return replayed
    development = _current(id)
    _refuse_if_retracted(development)
    return _append(
        development,
        expected_version,
        events.RETRACTED,
        {"reason": _note(reason, "reason", required=True)},
        origin,
    )
