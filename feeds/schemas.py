import datetime
from typing import Annotated, Any

from ninja import Field, Schema


class SubscriptionIn(Schema):
    email: str = Field(
        ...,
        examples=["reader@example.org"],
        max_length=254,
        pattern=r"^[^\u0000-\u001f\u007f]+@[^\u0000-\u001f\u007f]+$",
        json_schema_extra={"format": "email"},
    )
    language: str = Field("fr", description="fr or en", json_schema_extra={"enum": ["fr", "en"]})
    topics: (
        list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")]] | None
    ) = Field(
        None,
        description="Topic slugs to follow; null or empty for all topics.",
        max_length=100,
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
