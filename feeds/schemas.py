import datetime
from typing import Any

from ninja import Field, Schema


class SubscriptionIn(Schema):
    # The rules are stated for clients; feeds.subscriptions enforces them, naming the field.
    email: str = Field(
        ...,
        examples=["reader@example.org"],
        json_schema_extra={
            "maxLength": 254,
            "pattern": r"^[^\u0000-\u001f\u007f]+@[^\u0000-\u001f\u007f]+$",
            "format": "email",
        },
    )
    language: str = Field("fr", description="fr or en", json_schema_extra={"enum": ["fr", "en"]})
    topics: list[str] | None = Field(
        None,
        description="Topic slugs to follow; null or empty for all topics.",
        json_schema_extra={
            "maxItems": 100,
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": "^[-a-zA-Z0-9_]+$",
            },
        },
    )


class SubscriptionOut(Schema):
    status: str
    detail: str


class DigestOut(Schema):
    number: int
    week: str
    week_start: datetime.date
    week_end: datetime.date
    title: str
    published_at: datetime.datetime
    url: str


class DigestDetailOut(DigestOut):
    html: str
    text: str
    content: dict[str, Any]
