"""The one NinjaAPI: each app contributes a router."""

from ninja import NinjaAPI

from feeds.api import router as feeds_router
from timeline import api_errors
from timeline.api import router as timeline_router

api = NinjaAPI(
    title="kztrack API",
    version="1",
    description="The Kazakhstan–EU relations timeline: developments, topics, the event stream, "
    "digests and subscriptions.",
    urls_namespace="api-v1",
    parser=api_errors.JsonParser(),  # bodies must be JSON (415 otherwise)
)
api_errors.install(api)  # every error as {"detail", "errors": [{"field", "message"}]}
api.add_router("/", timeline_router)
api.add_router("/", feeds_router)
