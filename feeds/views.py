"""Pages for the digest archive and subscriptions, and the feed documents."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from feeds import subscriptions, syndication, tasks
from feeds.forms import PreferencesForm, SubscribeForm
from feeds.models import Digest
from timeline import dates, selectors

ARCHIVE_PAGE = 50


# --- the archive ------------------------------------------------------------------------


@require_GET
def digest_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(
        Digest.objects.order_by("-number").only(
            "number", "week", "week_start", "week_end", "title", "published_at"
        ),
        ARCHIVE_PAGE,
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "feeds/digest_list.html", {"page": page})


@require_GET
def digest_detail(request: HttpRequest, number: int) -> HttpResponse:
    digest = get_object_or_404(Digest, number=number)
    newer = Digest.objects.filter(number__gt=number).order_by("number").first()
    older = Digest.objects.filter(number__lt=number).order_by("-number").first()
    return render(
        request, "feeds/digest_detail.html", {"digest": digest, "newer": newer, "older": older}
    )


# --- subscriptions ----------------------------------------------------------------------


def _add_errors(form, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    lang = dates.current_language()
    form = SubscribeForm(request.POST or None, lang=lang, initial={"language": lang})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            email = tasks.subscription_request_and_confirm(
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                topics=form.chosen_topics(),
                client=subscriptions.client_address(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        except subscriptions.RateLimited as limited:
            form.add_error("email" if limited.field == "email" else None, limited.message)
            status = 429
        else:
            return render(request, "feeds/subscribe_sent.html", {"email": email})
    elif request.method == "POST":
        status = 400
    return render(request, "feeds/subscribe.html", {"form": form}, status=status)


def _bad_link(request: HttpRequest, error: Exception) -> HttpResponse:
    return render(request, "feeds/bad_link.html", {"message": str(error)}, status=400)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: a mail scanner that follows links confirms
    nothing on someone's behalf."""
    if request.method == "GET":
        try:
            subscriptions.subscriber_for_confirmation(token)
        except subscriptions.BadLink as error:
            return _bad_link(request, error)
        return render(request, "feeds/confirm.html", {"token": token})
    try:
        subscriber = subscriptions.subscription_confirm(token=token)
    except (subscriptions.BadLink, ValidationError) as error:
        return _bad_link(request, error)
    return render(
        request,
        "feeds/confirmed.html",
        {
            "subscriber": subscriber,
            "preferences_url": subscriptions.preferences_url(subscriber),
        },
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriptions.subscriber_for_preferences(token)
    except subscriptions.BadLink as error:
        return _bad_link(request, error)
    slugs = subscriber.topic_slugs()
    initial = {
        "language": subscriber.language,
        "scope": "all" if slugs is None else "some",
        "topics": slugs or [],
    }
    form = PreferencesForm(request.POST or None, lang=dates.current_language(), initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            subscriptions.subscription_update(
                subscriber=subscriber,
                language=form.cleaned_data["language"],
                topics=form.chosen_topics(),
            )
            saved = True
        except ValidationError as error:
            _add_errors(form, error)
    return render(
        request,
        "feeds/preferences.html",
        {
            "form": form,
            "subscriber": subscriber,
            "saved": saved,
            "unsubscribe_url": subscriptions.unsubscribe_url(subscriber),
        },
        status=400 if request.method == "POST" and not saved else 200,
    )


@csrf_exempt  # RFC 8058: the mail provider's one-click POST has no cookie and no token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST unsubscribes at once and answers 200 (no redirect); GET only asks."""
    try:
        subscriber = subscriptions.subscriber_for_unsubscribe(token)
    except subscriptions.BadLink as error:
        return _bad_link(request, error)
    if request.method == "POST":
        subscriptions.subscription_unsubscribe(subscriber=subscriber)
        return render(request, "feeds/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "feeds/unsubscribe.html", {"subscriber": subscriber})


# --- feeds ------------------------------------------------------------------------------


def _headers(response: HttpResponse, validators: syndication.Validators) -> HttpResponse:
    response.headers["ETag"] = validators.etag
    response.headers["Last-Modified"] = http_date(validators.last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=300)
    return response


def _not_modified(request: HttpRequest, validators: syndication.Validators) -> HttpResponse | None:
    """304 (or 412) when the client's copy is current, decided before any document is read."""
    if not ("HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META):
        return None
    response = get_conditional_response(
        request, etag=validators.etag, last_modified=int(validators.last_modified.timestamp())
    )
    return _headers(response, validators) if response is not None else None


def _serve(request: HttpRequest, document: syndication.Document, content_type: str) -> HttpResponse:
    """The document, or 304 when the client's ETag or date still matches."""
    response = _headers(HttpResponse(document.body, content_type=content_type), document)
    return (
        get_conditional_response(
            request,
            etag=document.etag,
            last_modified=int(document.last_modified.timestamp()),
            response=response,
        )
        or response
    )


def _content_type(fmt: str) -> str:
    return syndication.ATOM if fmt == "atom" else syndication.RSS


@require_GET
def timeline_feed(request: HttpRequest, fmt: str) -> HttpResponse:
    validators = syndication.timeline_validators(fmt=fmt)
    return _not_modified(request, validators) or _serve(
        request, syndication.timeline_feed(fmt=fmt), _content_type(fmt)
    )


@require_GET
def topic_feed(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    topic = selectors.feed_topic(slug=slug)
    if topic is None:
        raise Http404(f"No topic {slug!r}.")
    validators = syndication.timeline_validators(fmt=fmt, topic=topic)
    return _not_modified(request, validators) or _serve(
        request, syndication.timeline_feed(fmt=fmt, topic=topic), _content_type(fmt)
    )


@require_GET
def digests_feed(request: HttpRequest, fmt: str) -> HttpResponse:
    return _serve(request, syndication.digests_feed(fmt=fmt), _content_type(fmt))


@require_GET
def upcoming_ics(request: HttpRequest) -> HttpResponse:
    return _serve(request, syndication.upcoming_calendar(), syndication.ICS)
