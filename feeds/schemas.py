import datetime
from typing import Any

from ninja import Field, Schema


class SubscriptionIn(Schema):
    email: str = Field(..., examples=["reader@example.org"])
    language: str = Field("fr", description="fr or en")
    topics: list[str] | None = Field(
        None, description="Topic slugs to follow; null or empty for all topics."
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
