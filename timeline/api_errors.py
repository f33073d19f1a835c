"""Every API error as `{"detail": ..., "errors": [{"field": ..., "message": ...}]}`.

`install(api)` registers the handlers on the one NinjaAPI (kztrack/api.py), so the feeds'
endpoints answer in the same shape. A neutral module: it knows the timeline's exceptions,
not its commands, so feeds/ may use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from timeline.exceptions import ConcurrencyConflict, DevelopmentNotFound, TopicNotFound

# Where ninja says an input came from, and the names our handlers give their schema
# parameters: neither is a field the client knows about.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_PARAMETERS = {"payload", "params"}


class FieldError(Schema):
    field: str | None = Field(
        None,
        description="The input at fault (a field, a query "
        "parameter or a header); null when it is the request as a whole.",
    )
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


def error_body(detail: str, errors: Sequence[tuple[str | None, str]] = ()) -> dict[str, Any]:
    return {"detail": detail, "errors": [{"field": f, "message": m} for f, m in errors]}


def _field(loc: Any) -> str | None:
    parts = [str(p) for p in (loc or ())]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _PARAMETERS:
        parts = parts[1:]
    return ".".join(parts) or None


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value."))
    if error.get("type") == "extra_forbidden":
        return "Unknown field."
    if error.get("type") == "missing":
        return "This field is required."
    return message


def _django_errors(exc: DjangoValidationError) -> list[tuple[str | None, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (None if name == "__all__" else name, message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [(None, message) for message in exc.messages]


JSON_REQUIRED = "Send the body as JSON: Content-Type: application/json."


def is_json(content_type: str | None) -> bool:
    """Whether a request's media type says JSON (application/json or application/*+json)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class NotJson(Exception):
    """A request body whose Content-Type is not JSON (answered 415)."""


class JsonParser(Parser):
    """Bodies are JSON, and say so in their Content-Type: anything else is a 415.

    A form on any site can POST `text/plain` or form bodies without a CORS preflight, and
    ninja's own parser reads JSON whatever the declared type: without this rule a page
    elsewhere could make its visitors' browsers subscribe an address (and send it email).
    ninja wraps a parser's error in a 400; `install` answers 415 when this is its cause.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if not is_json(request.META.get("CONTENT_TYPE")):
            raise NotJson(JSON_REQUIRED)
        return super().parse_body(request)


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [(_field(e.get("loc")), _message(e)) for e in exc.errors]
        return respond(request, 422, error_body("The request is not valid.", errors))

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, 422, error_body("The request is not valid.", _django_errors(exc)))

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = str(exc)
        if message == "Unauthorized":  # ninja's word when no token came at all
            message = "Send an API token: Authorization: Bearer <token>."
        response = respond(request, 401, error_body(message, [("Authorization", message)]))
        response["WWW-Authenticate"] = 'Bearer realm="kztrack"'
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        errors: list[tuple[str | None, str]] = []
        if isinstance(exc.__cause__, NotJson):
            return respond(
                request, 415, error_body(JSON_REQUIRED, [("Content-Type", JSON_REQUIRED)])
            )
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            errors = [("body", "The body must be valid JSON.")]
        return respond(request, exc.status_code, error_body(str(exc), errors))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404, error_body("Not found."))

    def on_development_not_found(request: HttpRequest, exc: DevelopmentNotFound) -> HttpResponse:
        return respond(request, 404, error_body(str(exc), [("id", str(exc))]))

    def on_topic_not_found(request: HttpRequest, exc: TopicNotFound) -> HttpResponse:
        return respond(request, 404, error_body(str(exc), [("slug", str(exc))]))

    def on_conflict(request: HttpRequest, exc: ConcurrencyConflict) -> HttpResponse:
        return respond(request, 409, error_body(str(exc)))

    # django-ninja types a handler's exception as "the class or an instance"; ours take
    # the instance ninja passes, so the checker is told the handlers are the same shape.
    handlers: list[tuple[type[Exception], Any]] = [
        (NinjaValidationError, on_ninja_validation),
        (DjangoValidationError, on_django_validation),
        (AuthenticationError, on_authentication),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (DevelopmentNotFound, on_development_not_found),
        (TopicNotFound, on_topic_not_found),
        (ConcurrencyConflict, on_conflict),
    ]
    for exception, handler in handlers:
        api.add_exception_handler(exception, handler)
