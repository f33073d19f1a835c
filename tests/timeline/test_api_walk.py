"""A consumer walks GET /api/v1/timeline page by page, over the seed plus a few thousand
generated developments, and gets every development exactly once, in order."""

import random

import pytest

from timeline import commands, seed
from timeline.models import Development, Topic

pytestmark = pytest.mark.django_db


def load_seed():
    """The curated seed, or as much of it as is written yet (the developments file is being
    curated): the walk must hold over whatever is there."""
    if (seed.SEED_DIR / "developments.yaml").exists():
        seed.load()
    else:
        seed.load_reference_data()


def some_dates(rng: random.Random, count: int = 80) -> list[str]:
    """Dates of every precision, few of them, so that many developments share a lower
    bound and the walk depends on the id to break ties."""
    dates = []
    for _ in range(count):
        year = rng.randint(2012, 2027)
        dates.append(
            rng.choice(
                [
                    f"{year}",
                    f"{year}-{rng.randint(1, 12):02d}",
                    f"{year}-{rng.randint(1, 12):02d}-{rng.choice([1, 15]):02d}",
                    f"{year}-{rng.randint(21, 24)}",
                    f"{year}-03-01/{year}-03-0{rng.randint(2, 9)}",
                    f"{year}-06~",
                ]
            )
        )
    return dates


def generate(count: int) -> None:
    """Developments recorded through the commands, so through the log."""
    rng = random.Random(20260323)
    topics = list(Topic.objects.values_list("slug", flat=True))
    dates = some_dates(rng)
    for n in range(count):
        commands.development_record(
            fields={
                "title": f"Développement généré {n}",
                "kind": rng.choice(["meeting", "visit", "statement", "forum_summit"]),
                "date": rng.choice(dates),
                "status": rng.choice(["took_place", "took_place", "scheduled"]),
                "topics": rng.sample(topics, rng.randint(1, 2)),
            },
            by="generator",
            via="system",
        )


def walk(client, url: str) -> list[str]:
    ids: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
        assert pages < 1000, "the walk does not end"
    return ids


# Eighty dates shared by a few hundred developments are enough ties for the id to matter;
# the walk over thousands runs with the slow tests (make chaos).
@pytest.mark.parametrize(
    "generated", [400, pytest.param(3000, marks=pytest.mark.slow)], ids=["400", "3000"]
)
def test_a_consumer_walking_the_timeline_gets_every_development_once_in_order(client, generated):
    load_seed()
    generate(generated)
    expected = [
        str(i) for i in Development.objects.order_by("date_sort", "id").values_list("id", flat=True)
    ]
    assert len(expected) >= generated

    ids = walk(client, "/api/v1/timeline?limit=97")
    assert len(ids) == len(set(ids)) == len(expected)
    assert ids == expected

    # Filtered walks hold too, with the filters carried by each `next` link.
    topic = Topic.objects.order_by("position").first()
    expected_in_topic = [
        str(i)
        for i in Development.objects.filter(topics=topic)
        .order_by("date_sort", "id")
        .values_list("id", flat=True)
    ]
    in_topic = walk(client, f"/api/v1/timeline?topic={topic.slug}&status=took_place&limit=200")
    took_place = {
        str(i) for i in Development.objects.filter(status="took_place").values_list("id", flat=True)
    }
    assert in_topic == [i for i in expected_in_topic if i in took_place]


def test_a_development_recorded_during_the_walk_is_not_missed_if_it_sorts_ahead(client, world):
    for month in range(1, 7):
        commands.development_record(
            fields={
                "title": f"M{month}",
                "kind": "meeting",
                "date": f"2024-{month:02d}",
                "topics": ["epca"],
            },
            by="alice",
            via="admin",
        )
    first = client.get("/api/v1/timeline?limit=3").json()
    commands.development_record(
        fields={"title": "Nouveau", "kind": "meeting", "date": "2024-12", "topics": ["epca"]},
        by="alice",
        via="admin",
    )
    rest = walk(client, first["next"])
    titles = [i["title"] for i in first["items"]] + [
        Development.objects.get(id=i).title for i in rest
    ]
    assert titles == ["M1", "M2", "M3", "M4", "M5", "M6", "Nouveau"]
