"""Digests and subscriptions in the API; handlers stay thin and call the services.

Errors take the project's one shape, {"detail", "errors": [{"field", "message"}]}
(timeline/api_errors.py): a ValidationError from the services becomes a 422 there.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from feeds import subscriptions, tasks
from feeds.models import Digest
from feeds.schemas import DigestDetailOut, DigestOut, SubscriptionIn, SubscriptionOut
from timeline.api_errors import ErrorOut, error_body

router = Router(tags=["digests and subscriptions"])


def _digest(digest: Digest, detail: bool = False) -> dict:
    data = {
        "number": digest.number,
        "week": digest.week,
        "week_start": digest.week_start,
        "week_end": digest.week_end,
        "title": digest.title,
        "published_at": digest.published_at,
        "url": f"{settings.SITE_URL}/digests/{digest.number}/",
    }
    if detail:
        data.update(html=digest.html, text=digest.text, content=digest.content)
    return data


@router.post(
    "/subscriptions",
    response={202: SubscriptionOut, 400: ErrorOut, 415: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Subscribe to the weekly digest (double opt-in)",
)
def subscription_create(request: HttpRequest, payload: SubscriptionIn):
    """Sends a confirmation link to the address; nothing else is sent before it is followed.
    The answer is the same whether or not the address was already subscribed."""
    try:
        tasks.subscription_request_and_confirm(
            email=payload.email,
            language=payload.language,
            topics=payload.topics,
            client=subscriptions.client_address(request),
        )
    except subscriptions.RateLimited as limited:
        return Status(429, error_body(limited.message, [(limited.field, limited.message)]))
    return Status(
        202,
        {
            "status": "confirmation_sent",
            "detail": _("Check your inbox for the confirmation link."),
        },
    )


@router.get("/digests", response=list[DigestOut], summary="Published digests, newest first")
def digest_list(request: HttpRequest):
    return [_digest(d) for d in Digest.objects.order_by("-number")]


@router.get(
    "/digests/{number}",
    response={200: DigestDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="One digest, as frozen at publication",
)
def digest_get(request: HttpRequest, number: int):
    digest = Digest.objects.filter(number=number).first()
    if digest is None:
        message = _("No digest number %(number)s.") % {"number": number}
        return Status(404, error_body(message, [("number", message)]))
    return Status(200, _digest(digest, detail=True))
