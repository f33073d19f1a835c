"""The one NinjaAPI: each app contributes a router."""

from typing import Any

from ninja import NinjaAPI

from feeds.api import router as feeds_router
from timeline import api_errors
from timeline.api import IF_MATCH_PATTERN
from timeline.api import router as timeline_router


class KztrackAPI(NinjaAPI):
    """The document says If-Match is required, with its format. The route declares it
    optional only so that a request without it hears 428 Precondition Required (RFC 6585),
    not the 422 ninja gives a missing parameter."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "pattern": IF_MATCH_PATTERN}
        return schema


api = KztrackAPI(
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
