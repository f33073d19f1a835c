"""Project-wide request guards."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext

from timeline import text


class RefuseUnstorableAdminQuery:
    """Answer 400 to an admin URL whose query string holds a character that is not text.

    The admin's changelist filters (`?type=`, `?status=`), search and autocomplete terms go
    straight into queries, and PostgreSQL refuses NUL with a DataError (a 500). The pages
    and the API validate each of their parameters and name it; the admin's parameters are
    Django's, so the one text validator (timeline/text.py) is applied to all of them here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(reverse("admin:index")):
            for key, values in request.GET.lists():
                if any(text.problem(v) for v in [key, *values]):
                    return HttpResponseBadRequest(
                        gettext("The address holds control characters (such as NUL)."),
                        content_type="text/plain; charset=utf-8",
                    )
        return self.get_response(request)
