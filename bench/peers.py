"""What kztrack is measured against, served by the same gunicorn (bench/urls.py).

- A `django.contrib.syndication` feed of the same 50 items as /feeds/timeline.rss: what a
  plain Django project would write. Its 304s come from ConditionalGetMiddleware, which
  renders the feed and then compares the ETag: what Django gives for free.
- A timeline page by OFFSET: what a naive API does to reach page N.
"""

from django.contrib.syndication.views import Feed
from django.http import JsonResponse
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404
from django.utils.decorators import decorator_from_middleware
from django.utils.feedgenerator import Rss201rev2Feed

from timeline import dates
from timeline.models import Development, Topic

ITEMS = 50

conditional = decorator_from_middleware(ConditionalGetMiddleware)


class TimelinePeerFeed(Feed):
    feed_type = Rss201rev2Feed
    title = "kztrack — chronologie"
    link = "/"
    description = "Les relations entre le Kazakhstan et l'Union européenne."
    language = "fr"

    def items(self):
        return Development.objects.order_by("-updated_at", "-id").prefetch_related("topics")[:ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return f"{dates.display(item.date, 'fr')} — {item.summary}"

    def item_link(self, item):
        return f"/developments/{item.id}/"

    def item_guid(self, item):
        return f"urn:uuid:{item.id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.first_recorded_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [t.name_fr for t in item.topics.all()]


class TopicPeerFeed(TimelinePeerFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, obj):
        return f"kztrack — {obj.name_fr}"

    def items(self, obj):
        return (
            Development.objects.filter(topics=obj)
            .order_by("-updated_at", "-id")
            .prefetch_related("topics")[:ITEMS]
        )


def naive_timeline(request):
    """The timeline page `offset` by OFFSET, serialized like the API's items."""
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        return JsonResponse({"detail": "offset must be an integer"}, status=422)
    page = Development.objects.order_by("date_lower", "id").prefetch_related("topics")[
        offset : offset + ITEMS
    ]
    items = [
        {
            "id": str(d.id),
            "title": d.title,
            "summary": d.summary,
            "kind": d.kind,
            "date": d.date,
            "date_display": dates.display(d.date, "fr"),
            "status": d.status,
            "place": d.place,
            "topics": [t.slug for t in d.topics.all()],
            "version": d.version,
        }
        for d in page
    ]
    return JsonResponse({"items": items, "offset": offset})
