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
from django.db.models import Value

from timeline import dates, events, log, projections, text
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
SLUG_MAX = 100

# The fields a correction may change. Status moves only through its own commands.
CORRECTABLE = events.DEVELOPMENT_FIELDS


# --- validation -------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_length: int, required: bool, multiline: bool) -> str:
    return text.clean_text(
        value, field, max_length=max_length, required=required, multiline=multiline
    )


def _slugs(value: list[str], field: str) -> list[str]:
    """Slugs as sent, stripped, each checked by the one text validator before any query."""
    slugs = [s.strip() for s in value]
    for slug in slugs:
        text.refuse_unstorable(slug, field)
        if len(slug) > SLUG_MAX:
            raise ValidationError({field: f"A slug has at most {SLUG_MAX} characters."})
    return slugs


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


def _unknown_slugs(cleaned: dict[str, Any]) -> dict[str, list[str]]:
    """The topics and actors a development names that do not exist, asked in one query
    (a command's statements are counted: tests/timeline/test_statement_budget.py)."""
    topics = list(cleaned.get("topics") or [])
    actors = [a["actor"] for a in cleaned.get("actors") or []]
    if not topics and not actors:
        return {}
    known_topics = Topic.objects.filter(slug__in=topics).annotate(field=Value("topics"))
    known_actors = Actor.objects.filter(slug__in=actors).annotate(field=Value("actors"))
    known = set(
        known_topics.values_list("field", "slug")
        .order_by()
        .union(known_actors.values_list("field", "slug").order_by(), all=True)
    )
    errors = {}
    for field, noun, slugs in (("topics", "topic", topics), ("actors", "actor", actors)):
        unknown = [s for s in slugs if (field, s) not in known]
        if unknown:
            errors[field] = [f"Unknown {noun}: {', '.join(unknown)}."]
    return errors


def _topics(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
        raise ValidationError({"topics": "Must be a list of topic slugs."})
    slugs = list(dict.fromkeys(s for s in _slugs(list(value), "topics") if s))
    if not slugs:
        raise ValidationError({"topics": "Choose at least one topic."})
    if len(slugs) > MAX_TOPICS:
        raise ValidationError({"topics": f"At most {MAX_TOPICS} topics."})
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
        cleaned.append({"actor": _slugs([item["actor"]], "actors")[0], "role": role})
    slugs = [a["actor"] for a in cleaned]
    if len(set(slugs)) != len(slugs):
        raise ValidationError({"actors": "An actor is listed twice."})
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
    if not errors:
        errors.update(_unknown_slugs(cleaned))
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


def _current(id: uuid.UUID | str, expected_version: int) -> events.State:
    """The development's current state (fields, topics, actors), as events and the
    projection see it: the command validates against it and the projection starts from it.

    The version is checked before any rule about the state, so a caller who read an old
    version hears "it changed" (a stale If-Match is a 412), not a verdict on a state they
    never saw; `log.append` checks it again under the log lock, where the answer is final.
    """
    try:
        key = id if isinstance(id, uuid.UUID) else uuid.UUID(str(id))
    except ValueError:
        raise DevelopmentNotFound(id) from None
    state = projections.load_states([key]).get(key)
    if state is None:
        raise DevelopmentNotFound(id)
    if state["version"] != expected_version:
        log.check_version(key, expected_version)  # raises, naming who changed it and when
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
    development = _current(id, expected_version)
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
    development = _current(id, expected_version)
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
    development = _current(id, expected_version)
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
    development = _current(id, expected_version)
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
    development = _current(id, expected_version)
    _refuse_if_retracted(development)
    return _append(
        development,
        expected_version,
        events.RETRACTED,
        {"reason": _note(reason, "reason", required=True)},
        origin,
    )


def development_add_source(
    *,
    id: uuid.UUID | str,
    expected_version: int,
    source: dict[str, Any],
    by: str,
    via: str,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Development:
    """Another source for a recorded development ("add this source to that development")."""
    origin, replayed = _begin("development_add_source", locals())
    if replayed is not None:
        return replayed
    development = _current(id, expected_version)
    _refuse_if_retracted(development)
    (cleaned,) = _sources([source])
    if cleaned in development["sources"]:
        raise ValidationError({"sources": "This development already has this source."})
    if len(development["sources"]) >= MAX_SOURCES:
        raise ValidationError({"sources": f"At most {MAX_SOURCES} sources."})
    return _append(development, expected_version, events.SOURCE_ADDED, {"source": cleaned}, origin)


# --- checking a stored event (the backup's restore) -------------------------------------


def _unknown_keys(data: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})


def _check_recorded(data: dict[str, Any]) -> None:
    clean_fields({k: v for k, v in data.items() if k != "status"}, partial=False)
    if data.get("status", Status.TOOK_PLACE) not in (Status.SCHEDULED, Status.TOOK_PLACE):
        raise ValidationError({"status": "A new development is either scheduled or took place."})


def _check_corrected(data: dict[str, Any]) -> None:
    _unknown_keys(data, {"changes", "note", "silent"})
    changes = data.get("changes")
    if not isinstance(changes, dict) or not changes or "status" in changes:
        raise ValidationError({"changes": "Must name the fields a correction changed."})
    clean_fields(changes, partial=True)
    if not isinstance(data.get("silent", False), bool):
        raise ValidationError({"silent": "Must be true or false."})
    _note(data.get("note", ""), "note", required=False)


def _check_rescheduled(data: dict[str, Any]) -> None:
    _unknown_keys(data, {"date", "previous_date", "note"})
    _date(data.get("date"))
    _date(data.get("previous_date"), "previous_date")
    _note(data.get("note", ""), "note", required=False)


def _check_confirmed(data: dict[str, Any]) -> None:
    _unknown_keys(data, {"date", "note"})
    if data.get("date"):
        _date(data["date"])
    _note(data.get("note", ""), "note", required=False)


def _check_ended(data: dict[str, Any]) -> None:
    _unknown_keys(data, {"reason"})
    _note(data.get("reason"), "reason", required=True)


def _check_source_added(data: dict[str, Any]) -> None:
    _unknown_keys(data, {"source"})
    _sources([data.get("source")])


EVENT_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    events.RECORDED: _check_recorded,
    events.CORRECTED: _check_corrected,
    events.RESCHEDULED: _check_rescheduled,
    events.CONFIRMED: _check_confirmed,
    events.CANCELLED: _check_ended,
    events.RETRACTED: _check_ended,
    events.SOURCE_ADDED: _check_source_added,
}

assert set(EVENT_CHECKS) == set(events.REGISTRY), "an event type has no check"


def event_check(*, type: str, schema_version: int, data: dict[str, Any]) -> None:
    """Refuse a stored event's payload that its command would not have produced.

    The payload is upcast to the current schema first, then held to the same rules as
    the command's input (text, dates, known topics and actors, http(s) source URLs), so
    a backup edited by hand cannot put into the log what no editor could.
    """
    EVENT_CHECKS[type](events.get(type).upcast(schema_version, data))
