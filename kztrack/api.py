"""The one NinjaAPI: each app contributes a router."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="kztrack API",
    version="1",
    description="The Kazakhstan–EU relations timeline: developments, topics, the event stream, "
    "digests and subscriptions.",
    urls_namespace="api-v1",
)
