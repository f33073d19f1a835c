"""The timeline's API router: public reads with ETags, token-gated writes.

Handlers stay thin: selectors read, commands write, timeline.schemas shapes the answers.
Reads answer with an ETag (a hash of the body, or the version for a development) and a
Last-Modified from the log, and 304 to a matching conditional request.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pydantic_core
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from ninja import Header, Query, Router
from pydantic import BaseModel

from timeline import commands, dates, selectors
from timeline.api_errors import ErrorOut, error_body
from timeline.auth import BearerToken
from timeline.exceptions import ConcurrencyConflict
from timeline.log import find_by_idempotency_key
from timeline.schemas import (
    PROPOSAL_TEXT_MAX,
    DevelopmentIn,
    DevelopmentOut,
    DevelopmentPatch,
    EventsOut,
    HistoryEntryOut,
    ProposalOut,
    ProposalsIn,
    TimelineJSQuery,
    TimelineOut,
    TimelinePageQuery,
    TimelineQuery,
    TLTimeline,
    TopicDetailOut,
    TopicOut,
    absolute,
    development_out,
    development_urls,
    event_out,
    history_out,
    stage_out,
    topic_out,
)
from timeline.selectors.proposals import desk_proposals
from timeline.timelinejs import timelinejs

router = Router(tags=["timeline"])
bearer = BearerToken()

READ_ERRORS: dict[int, Any] = {304: None, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
}
TIMELINEJS_MAX = 2000
IDEMPOTENCY_KEY_MAX = 200


# --- responses --------------------------------------------------------------------------


def _dump(schema: type[BaseModel], data: Any, *, exclude_none: bool = False) -> bytes:
    """Validate against the schema (the OpenAPI document promises it) and serialize."""
    if isinstance(data, list):
        return b"[" + b",".join(_dump(schema, d, exclude_none=exclude_none) for d in data) + b"]"
    model = schema.model_validate(data)
    return model.model_dump_json(by_alias=True, exclude_none=exclude_none).encode()


def _dump_trusted(data: Any) -> bytes:
    """Serialize what the read models already guarantee to fit the schema, without
    validating it again: the same bytes as `_dump` (tests/timeline/test_api_page_cost.py
    holds them to it), a fifth of the API's time when a page of 50 went through `_dump`."""
    return pydantic_core.to_json(data)


def _json(
    content: bytes,
    *,
    status: int = 200,
    etag: str | None = None,
    last_modified: datetime.datetime | None = None,
) -> HttpResponse:
    response = HttpResponse(content, content_type="application/json", status=status)
    response["ETag"] = etag or f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    # Caches may keep it but must ask again each time; the ETag makes that cheap.
    response["Cache-Control"] = "no-cache"
    return response


def _read(
    request: HttpRequest,
    content: bytes,
    *,
    etag: str | None = None,
    last_modified: datetime.datetime | None = None,
) -> HttpResponse:
    """A 200, or a 304 when the client's If-None-Match / If-Modified-Since still holds."""
    response = _json(content, etag=etag, last_modified=last_modified)
    stamp = int(last_modified.timestamp()) if last_modified else None
    return (
        get_conditional_response(
            request, etag=response["ETag"], last_modified=stamp, response=response
        )
        or response
    )


def _development_etag(development: Any, content: bytes) -> str:
    # The version first, so the ETag works as If-Match; the hash catches renamed actors.
    return f'"{development.version}-{hashlib.sha256(content).hexdigest()[:16]}"'


def _filters(params: TimelineQuery) -> selectors.TimelineFilters:
    return selectors.timeline_filters(
        topic=params.topic,
        actor=params.actor,
        kind=params.kind,
        status=params.status,
        date_from=params.date_from,
        date_to=params.to,
        q=params.q,
    )


# --- reads ------------------------------------------------------------------------------


@router.get("/timeline", response={200: TimelineOut, **READ_ERRORS}, url_name="timeline")
def timeline(request: HttpRequest, params: Query[TimelinePageQuery]):
    """Developments in date order (date_sort, then id), filtered, one page after `cursor`."""
    filters = _filters(params)
    page = selectors.timeline_page(
        filters=filters, cursor=params.cursor or None, limit=params.limit, links="lists"
    )
    next_url = None
    if page.next_cursor:
        query = {**filters.as_params(), "cursor": page.next_cursor, "limit": params.limit}
        next_url = absolute(f"{request.path}?{urlencode(query)}")
    url = development_urls()
    body = {
        "items": [development_out(request, d, url=url) for d in page.items],
        "next_cursor": page.next_cursor,
        "next": next_url,
    }
    return _read(request, _dump_trusted(body), last_modified=selectors.latest_change())


@router.get(
    "/timeline.timelinejs", response={200: TLTimeline, **READ_ERRORS}, url_name="timelinejs"
)
def timeline_timelinejs(request: HttpRequest, params: Query[TimelineJSQuery]):
    """The most recent developments (up to `limit`) as a TimelineJS3 document."""
    filters = _filters(params)
    if not 1 <= params.limit <= TIMELINEJS_MAX:
        raise ValidationError({"limit": f"Must be a whole number from 1 to {TIMELINEJS_MAX}."})
    items: list[Any] = []
    cursor = None
    while len(items) < params.limit:
        page = selectors.timeline_page(
            filters=filters,
            cursor=cursor,
            newest_first=True,
            limit=min(selectors.MAX_LIMIT, params.limit - len(items)),
        )
        items += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    items.reverse()
    title = "Kazakhstan – Union européenne" if params.lang == "fr" else "Kazakhstan – EU"
    body = timelinejs(items, lang=params.lang, title=title, build_url=absolute)
    # TimelineJS wants absent parts left out, not null.
    content = _dump(TLTimeline, body, exclude_none=True)
    return _read(request, content, last_modified=selectors.latest_change())


@router.get(
    "/developments/{id}", response={200: DevelopmentOut, **READ_ERRORS}, url_name="development"
)
def development_detail(request: HttpRequest, id: uuid.UUID):
    development = selectors.development_get(id=id)
    content = _dump(DevelopmentOut, development_out(request, development))
    return _read(
        request,
        content,
        etag=_development_etag(development, content),
        last_modified=development.updated_at,
    )


@router.get(
    "/developments/{id}/history",
    response={200: list[HistoryEntryOut], **READ_ERRORS},
    url_name="development-history",
)
def development_history(request: HttpRequest, id: uuid.UUID):
    """The public history: recorded, corrections with their notes, reschedulings,
    confirmation, cancellation or retraction with its reason. Silent fixes are left out."""
    entries = selectors.development_history(id=id)
    content = _dump(HistoryEntryOut, [history_out(e, dates.current_language()) for e in entries])
    return _read(request, content, last_modified=entries[-1].recorded_at if entries else None)


@router.get("/topics", response={200: list[TopicOut], **READ_ERRORS}, url_name="topics")
def topics(request: HttpRequest):
    content = _dump(TopicOut, [topic_out(request, t) for t in selectors.topic_list()])
    return _read(request, content, last_modified=selectors.latest_change())


@router.get("/topics/{slug}", response={200: TopicDetailOut, **READ_ERRORS}, url_name="topic")
def topic_detail(request: HttpRequest, slug: str):
    """The topic with, for an agreement, its stages reached (with dates), planned and not
    recorded."""
    thread = selectors.topic_get(slug=slug)
    body = {
        **topic_out(request, thread.topic),
        "stages_reached": [stage_out(s) for s in thread.reached],
        "stages_ahead": [stage_out(s) for s in thread.ahead],
        "stages_not_recorded": [stage_out(s) for s in thread.not_recorded],
    }
    return _read(request, _dump(TopicDetailOut, body), last_modified=selectors.latest_change())


@router.get("/events", response={200: EventsOut, **READ_ERRORS}, url_name="events")
def events(
    request: HttpRequest,
    after: int = Query(0, ge=0, le=selectors.MAX_POSITION),
    limit: int = Query(100, ge=1, le=selectors.MAX_EVENTS_LIMIT),
):
    """The raw log after a position, to replicate it: resume from `last_position` and no
    event is ever missed (appends are serialized). `limit` goes from 1 to 1000."""
    items = selectors.events_after(position=after, limit=limit)
    latest_position, latest_change = selectors.log_head()
    body = {
        "items": [event_out(e) for e in items],
        "last_position": items[-1].position if items else after,
        "latest_position": latest_position,
    }
    return _read(request, _dump(EventsOut, body), last_modified=latest_change)


# --- writes -----------------------------------------------------------------------------


def _user_may(request: HttpRequest, permission: str) -> Any:
    """The token's user, if they may do this now: a token carries no rights of its own,
    so a user deactivated, removed from staff or from the editors loses API writes at once."""
    user = request.auth.user  # type: ignore[attr-defined]
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        return None
    return user


def _forbidden(request: HttpRequest) -> HttpResponse:
    message = "This token's user may not change the timeline: make them an editor."
    return _json(_dump(ErrorOut, error_body(message)), status=403)


def _idempotency_key(request: HttpRequest, raw: str | None, scope: str) -> str | None:
    """The client's key, scoped to its user and the request, so clients cannot collide."""
    if raw is None:
        return None
    if not raw or len(raw) > IDEMPOTENCY_KEY_MAX or not raw.isprintable() or not raw.isascii():
        raise ValidationError(
            {"Idempotency-Key": f"Must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."}
        )
    # Hashed, so the log's key stays short whatever the client sends.
    digest = hashlib.sha256(f"{scope}\n{raw}".encode()).hexdigest()[:40]
    return f"api:{request.auth.user.pk}:{digest}"  # type: ignore[attr-defined]


def _written(
    request: HttpRequest, development: Any, *, status: int, replayed: bool
) -> HttpResponse:
    development = selectors.development_get(id=development.id)
    content = _dump(DevelopmentOut, development_out(request, development))
    response = _json(
        content,
        status=status,
        etag=_development_etag(development, content),
        last_modified=development.updated_at,
    )
    response["Location"] = absolute(reverse("api-v1:development", args=[development.id]))
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post(
    "/developments",
    auth=bearer,
    response={201: DevelopmentOut, **WRITE_ERRORS},
    url_name="developments",
)
def development_create(
    request: HttpRequest,
    payload: DevelopmentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record a development. Send an Idempotency-Key: a retry with the same key returns
    the development the first request made (201 again), never a second one."""
    user = _user_may(request, "timeline.add_development")
    if user is None:
        return _forbidden(request)
    key = _idempotency_key(request, idempotency_key, "record")
    replayed = bool(key and find_by_idempotency_key(key))
    development = commands.development_record(
        fields=payload.model_dump(),
        by=user.get_username(),
        via="api",
        idempotency_key=key,
        request_id=request.headers.get("X-Request-Id"),
    )
    return _written(request, development, status=201, replayed=replayed)


IF_MATCH_PATTERN = r'^(?:W/)?"?(\d{1,9})(?:-[0-9a-f]*)?"?$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)

ACTION_FIELDS = {
    "correct": set(commands.CORRECTABLE) | {"note", "silent"},
    "reschedule": {"date", "note"},
    "confirm": {"date", "note"},
    "cancel": {"reason"},
    "retract": {"reason"},
}


def _expected_version(if_match: str | None) -> int | HttpResponse:
    """The version in If-Match, or the error response (428 when missing)."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        message = (
            "Send the version you read in If-Match (the development's `version`, "
            "or its ETag), so your change cannot overwrite another."
        )
        return _json(_dump(ErrorOut, error_body(message, [("If-Match", message)])), status=428)
    match = _IF_MATCH.match(if_match.strip())
    if not match:
        raise ValidationError({"If-Match": 'Must be the development\'s version, e.g. 3 or "3".'})
    return int(match.group(1))


def _apply(id: uuid.UUID, version: int, patch: DevelopmentPatch, ctx: dict[str, Any]) -> Any:
    given = patch.model_dump(exclude_unset=True)
    action = given.pop("action", "correct")
    unused = sorted(set(given) - ACTION_FIELDS[action])
    if unused:
        raise ValidationError({name: f"Not used when the action is {action!r}." for name in unused})
    if action == "correct":
        note, silent = given.pop("note", "") or "", bool(given.pop("silent", False))
        return commands.development_correct(
            id=id, expected_version=version, changes=given, note=note, silent=silent, **ctx
        )
    if action == "reschedule":
        if not given.get("date"):
            raise ValidationError({"date": "Give the new date."})
        return commands.development_reschedule(
            id=id, expected_version=version, date=given["date"], note=given.get("note") or "", **ctx
        )
    if action == "confirm":
        return commands.development_confirm(
            id=id,
            expected_version=version,
            date=given.get("date"),
            note=given.get("note") or "",
            **ctx,
        )
    command = commands.development_cancel if action == "cancel" else commands.development_retract
    return command(id=id, expected_version=version, reason=given.get("reason") or "", **ctx)


@router.patch(
    "/developments/{id}",
    auth=bearer,
    response={200: DevelopmentOut, 412: ErrorOut, 428: ErrorOut, **WRITE_ERRORS},
    url_name="development-change",
)
def development_change(
    request: HttpRequest,
    id: uuid.UUID,
    payload: DevelopmentPatch,
    if_match: str | None = Header(
        None,
        alias="If-Match",
        description='Required (428 without it): the version you read, as 3, "3", the '
        'development\'s ETag, or a weak ETag (W/"3"). Only the version is compared.',
    ),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Correct, reschedule, confirm, cancel or retract a development. If-Match must carry
    the version you read: a stale one answers 412 and changes nothing, and it is checked
    before any rule about the development's state (a development that moved on answers
    412, not 422). Weak ETags are accepted, since the version alone decides: kztrack's
    ETag for a development is its version plus a hash of the body, and two bodies with the
    same version are the same development state."""
    user = _user_may(request, "timeline.change_development")
    if user is None:
        return _forbidden(request)
    version = _expected_version(if_match)
    if isinstance(version, HttpResponse):
        return version
    key = _idempotency_key(request, idempotency_key, f"change:{id}")
    replayed = bool(key and find_by_idempotency_key(key))
    ctx = {
        "by": user.get_username(),
        "via": "api",
        "idempotency_key": key,
        "request_id": request.headers.get("X-Request-Id"),
    }
    try:
        development = _apply(id, version, payload, ctx)
    except ConcurrencyConflict as conflict:
        response = _json(
            _dump(ErrorOut, error_body(str(conflict), [("If-Match", str(conflict))])), status=412
        )
        response["ETag"] = f'"{conflict.actual}"'
        return response
    return _written(request, development, status=200, replayed=replayed)


@router.post(
    "/proposals",
    auth=bearer,
    response={200: list[ProposalOut], **WRITE_ERRORS},
    url_name="proposals",
)
def proposals(request: HttpRequest, payload: ProposalsIn):
    """Propose the dated developments a source text tells of. Nothing is recorded: accept a
    proposal by POSTing it to /developments. The first call loads the language model (seconds)."""
    if _user_may(request, "timeline.add_development") is None:
        return _forbidden(request)
    if len(payload.text) > PROPOSAL_TEXT_MAX:
        raise ValidationError({"text": f"At most {PROPOSAL_TEXT_MAX} characters."})
    if not payload.text.strip():
        raise ValidationError({"text": "The text is empty."})
    found = desk_proposals(
        text=payload.text,
        published=payload.published,
        publication=payload.publication,
        lang=payload.lang,
    )
    return [p.as_json() for p in found]
