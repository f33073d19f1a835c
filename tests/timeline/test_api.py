"""The v1 API's reads: the timeline, developments and their history, topics, the event
stream, TimelineJS; conditional requests; and a clear answer to every bad input."""

import json
import uuid

import pytest
from openapi_spec_validator import validate

from tests.base import assert_api_error, record
from timeline import commands

pytestmark = pytest.mark.django_db


# --- the OpenAPI document -----------------------------------------------------------------


def test_the_openapi_document_validates_and_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    for path, method in [
        ("/api/v1/timeline", "get"),
        ("/api/v1/timeline.timelinejs", "get"),
        ("/api/v1/developments/{id}", "get"),
        ("/api/v1/developments/{id}", "patch"),
        ("/api/v1/developments", "post"),
        ("/api/v1/developments/{id}/history", "get"),
        ("/api/v1/topics", "get"),
        ("/api/v1/topics/{slug}", "get"),
        ("/api/v1/events", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert document["components"]["securitySchemes"]


def test_the_interactive_docs_are_served(client):
    assert client.get("/api/v1/docs").status_code == 200


# --- the timeline ------------------------------------------------------------------------


def test_it_lists_developments_in_date_order_with_their_details(client, world):
    later = record(title="Plus tard", date="2024-02")
    earlier = record(title="Plus tôt", date="2015-12-21", place="Astana")
    body = client.get("/api/v1/timeline").json()
    assert [item["id"] for item in body["items"]] == [str(earlier.id), str(later.id)]
    first = body["items"][0]
    assert first["date"] == "2015-12-21"
    assert first["date_display"] == {"fr": "21 décembre 2015", "en": "21 December 2015"}
    assert first["topics"] == ["epca", "visa-facilitation"]
    assert first["actors"] == [
        {"actor": "roman-vassilenko", "name": "Roman Vassilenko", "role": "vice-ministre"}
    ]
    assert first["sources"][0]["quote"] == "Une citation."
    assert first["url"].endswith(f"/developments/{earlier.id}/")
    assert body["next_cursor"] is None and body["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("topic=epca", {"A"}),
        ("actor=kaja-kallas", {"B"}),
        ("kind=visit", {"B"}),
        ("status=scheduled", {"B"}),
        ("from=2031", {"B"}),
        ("to=2020-06-30", {"A"}),
        ("from=2020-01-01T10:00:00&to=2020-12", {"A"}),
        ("q=corridor", {"B"}),
        ("topic=visa-facilitation&status=took_place", set()),
    ],
)
def test_it_filters_the_timeline(client, world, query, expected):
    record(title="A", topics=["epca"], date="2020-06", kind="meeting", actors=[])
    record(
        title="B",
        topics=["visa-facilitation"],
        date="2031-01",
        kind="visit",
        status="scheduled",
        summary="Le corridor du milieu.",
        actors=[{"actor": "kaja-kallas", "role": ""}],
    )
    response = client.get(f"/api/v1/timeline?{query}")
    assert response.status_code == 200
    assert {item["title"] for item in response.json()["items"]} == expected


def test_it_pages_with_an_opaque_cursor_and_a_next_link(client, world):
    for month in range(1, 6):
        record(title=f"M{month}", date=f"2024-{month:02d}")
    first = client.get("/api/v1/timeline?limit=2&topic=epca").json()
    assert [i["title"] for i in first["items"]] == ["M1", "M2"]
    assert "topic=epca" in first["next"] and "limit=2" in first["next"]
    second = client.get(first["next"]).json()
    assert [i["title"] for i in second["items"]] == ["M3", "M4"]
    third = client.get(f"/api/v1/timeline?limit=2&cursor={second['next_cursor']}").json()
    assert [i["title"] for i in third["items"]] == ["M5"]
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("topic=nope", "topic"),
        ("actor=nobody", "actor"),
        ("kind=party", "kind"),
        ("status=maybe", "status"),
        ("from=2023-02-30", "from"),
        ("from=201X", "from"),
        ("to=yesterday", "to"),
        ("from=2024&to=2020", "to"),
        ("q=" + "x" * 201, "q"),
        ("q=%00", "q"),
        ("topic=%00", "topic"),
        ("cursor=garbage", "cursor"),
        ("cursor=%00%01", "cursor"),
        ("cursor=" + "A" * 5000, "cursor"),
        ("cursor=ZHwyMDI0LTAxLTAxfDEyMw", "cursor"),  # "d|2024-01-01|123": wrong order, bad id
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=99999999999999999999999999", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
    ],
)
def test_bad_timeline_queries_answer_422_naming_the_parameter(client, world, query, field):
    record()
    assert_api_error(client.get(f"/api/v1/timeline?{query}"), 422, field)


# --- one development -------------------------------------------------------------------


def test_it_returns_one_development(client, world):
    dev = record(title="Une")
    response = client.get(f"/api/v1/developments/{dev.id}")
    assert response.status_code == 200
    assert response.json()["title"] == "Une"
    assert response.json()["version"] == 1
    assert response["ETag"].startswith('"1-')


def test_an_unknown_or_malformed_development_id_is_a_clear_error(client, world):
    assert_api_error(client.get(f"/api/v1/developments/{uuid.uuid4()}"), 404, "id")
    assert_api_error(client.get("/api/v1/developments/not-a-uuid"), 422, "id")
    assert_api_error(client.get(f"/api/v1/developments/{uuid.uuid4()}/history"), 404, "id")
    assert_api_error(client.get("/api/v1/developments/123/history"), 422, "id")


def test_the_history_lists_corrections_reschedulings_and_the_retraction(client, world):
    dev = record(status="scheduled", date="2099-04", place="Almaty")
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="Mauvais lieu.",
        by="bob",
        via="admin",
    )
    commands.development_reschedule(
        id=dev.id, expected_version=2, date="2099-05", by="bob", via="admin"
    )
    commands.development_correct(
        id=dev.id,
        expected_version=3,
        changes={"summary": "Typo."},
        silent=True,
        by="bob",
        via="admin",
    )
    commands.development_retract(
        id=dev.id, expected_version=4, reason="Jamais prévue.", by="carol", via="admin"
    )
    history = client.get(f"/api/v1/developments/{dev.id}/history").json()
    assert [h["action"] for h in history] == ["recorded", "corrected", "rescheduled", "retracted"]
    corrected = history[1]
    assert corrected["note"] == "Mauvais lieu." and corrected["by"] in (
        "la rédaction",
        "the editors",
    )
    assert corrected["changes"] == [{"field": "place", "before": "Almaty", "after": "Astana"}]
    assert history[2]["changes"] == [{"field": "date", "before": "2099-04", "after": "2099-05"}]
    assert history[3]["reason"] == "Jamais prévue."
    assert history[3]["changes"] == [
        {"field": "status", "before": "scheduled", "after": "retracted"}
    ]


# --- conditional requests --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/timeline",
        "/api/v1/topics",
        "/api/v1/topics/epca",
        "/api/v1/events",
        "/api/v1/timeline.timelinejs",
        "DEV",
        "DEV/history",
    ],
)
def test_reads_carry_an_etag_and_last_modified_and_answer_304_when_unchanged(client, world, path):
    dev = record()
    path = path.replace("DEV", f"/api/v1/developments/{dev.id}")
    first = client.get(path)
    assert first.status_code == 200
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Neuf"},
        note="Titre.",
        by="alice",
        via="admin",
    )
    record(kind="agreement_stage", stage="signature", date="2015-12-21")
    changed = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


# --- topics -------------------------------------------------------------------------------


def test_it_lists_topics_with_their_stages(client, world):
    record(topics=["epca"])
    topics = client.get("/api/v1/topics").json()
    epca = next(t for t in topics if t["slug"] == "epca")
    assert epca["name_en"] == "EPCA"
    assert epca["stages"] == ["negotiation_round", "signature", "ratification", "entry_into_force"]
    assert epca["developments"] == 1
    assert epca["url"].endswith("/topics/epca/")


def test_a_topic_shows_stages_reached_with_dates_and_stages_ahead(client, world):
    signed = record(kind="agreement_stage", stage="signature", date="2015-12-21", topics=["epca"])
    planned = record(
        kind="agreement_stage",
        stage="ratification",
        date="2099-01",
        status="scheduled",
        topics=["epca"],
    )
    body = client.get("/api/v1/topics/epca").json()
    assert [s["stage"] for s in body["stages_reached"]] == ["signature"]
    # No development records the rounds or the entry into force: neither passed nor ahead.
    assert [s["stage"] for s in body["stages_not_recorded"]] == [
        "negotiation_round",
        "entry_into_force",
    ]
    reached = body["stages_reached"][0]
    assert reached["status"] == "reached"
    assert reached["date"] == "2015-12-21" and reached["development"] == str(signed.id)
    assert reached["date_display"]["en"] == "21 December 2015"
    ahead = {s["stage"]: s for s in body["stages_ahead"]}
    assert list(ahead) == ["ratification"]
    assert ahead["ratification"]["status"] == "scheduled"
    assert ahead["ratification"]["scheduled_development"] == str(planned.id)
    assert ahead["ratification"]["scheduled_date"] == "2099-01"


def test_an_unknown_topic_is_a_404(client, world):
    assert_api_error(client.get("/api/v1/topics/nope"), 404, "slug")
    assert_api_error(client.get("/api/v1/topics/%00"), 404, "slug")
    assert_api_error(client.get("/api/v1/topics/" + "x" * 500), 404, "slug")


# --- the event stream ---------------------------------------------------------------------


def test_it_streams_the_log_after_a_position(client, world):
    dev = record()
    commands.development_correct(
        id=dev.id,
        expected_version=1,
        changes={"title": "Autre"},
        note="Titre.",
        by="alice",
        via="admin",
    )
    other = record()
    body = client.get("/api/v1/events?after=0&limit=2").json()
    assert [e["position"] for e in body["items"]] == [1, 2]
    assert body["items"][0]["type"] == "DevelopmentRecorded"
    assert body["items"][0]["stream_id"] == str(dev.id)
    # A role, not the login: usernames are half of an editor's credentials.
    assert body["items"][0]["metadata"] == {"by": "editor", "via": "admin"}
    assert body["items"][1]["data"]["note"] == "Titre."
    assert body["last_position"] == 2 and body["latest_position"] == 3
    rest = client.get(f"/api/v1/events?after={body['last_position']}").json()
    assert [e["stream_id"] for e in rest["items"]] == [str(other.id)]
    empty = client.get("/api/v1/events?after=3").json()
    assert empty["items"] == [] and empty["last_position"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=-1", "after"),
        ("after=abc", "after"),
        ("after=99999999999999999999999", "after"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=1.5", "limit"),
    ],
)
def test_bad_event_queries_answer_422(client, world, query, field):
    assert_api_error(client.get(f"/api/v1/events?{query}"), 422, field)


# --- TimelineJS -----------------------------------------------------------------------------


def test_it_exports_the_timeline_for_timelinejs(client, world):
    record(title="Signature <b>", date="2015-12-21", summary="Ligne 1\nLigne 2 <i>", place="Astana")
    record(title="Sur un mois", date="2022-10")
    record(title="Une saison", date="2022-23")
    record(title="Une plage", date="2023-05-16/2023-05-20", status="scheduled")
    body = client.get("/api/v1/timeline.timelinejs?lang=en").json()
    events = {e["text"]["headline"]: e for e in body["events"]}
    signed = events["Signature &lt;b&gt;"]
    assert signed["start_date"] == {"year": 2015, "month": 12, "day": 21}
    assert "end_date" not in signed
    assert signed["display_date"] == "21 December 2015"
    assert "Ligne 1<br>Ligne 2 &lt;i&gt;" in signed["text"]["text"]
    assert signed["group"] == "EPCA"
    assert events["Sur un mois"]["start_date"] == {"year": 2022, "month": 10}
    season = events["Une saison"]
    assert (season["start_date"], season["end_date"]) == (
        {"year": 2022, "month": 9},
        {"year": 2022, "month": 11},
    )
    assert season["display_date"] == "autumn 2022"
    # Scheduled for 2023 and never confirmed: awaiting confirmation, not "scheduled".
    ranged = events["Une plage (awaiting confirmation)"]
    assert ranged["end_date"] == {"year": 2023, "month": 5, "day": 20}
    assert body["title"]["text"]["headline"]
    assert [e["start_date"]["year"] for e in body["events"]] == [2015, 2022, 2022, 2023]


def test_timelinejs_takes_the_timeline_filters_and_refuses_bad_ones(client, world):
    record(title="APCR", topics=["epca"])
    record(title="Visas", topics=["visa-facilitation"])
    body = client.get("/api/v1/timeline.timelinejs?topic=epca").json()
    assert [e["text"]["headline"] for e in body["events"]] == ["APCR"]
    assert_api_error(client.get("/api/v1/timeline.timelinejs?topic=nope"), 422, "topic")
    assert_api_error(client.get("/api/v1/timeline.timelinejs?limit=5000"), 422, "limit")
    assert_api_error(client.get("/api/v1/timeline.timelinejs?lang=de"), 422, "lang")


def test_errors_are_json_even_for_unknown_paths_under_the_api(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404


def test_the_api_speaks_json_to_a_bad_json_body(client, world):
    response = client.post(
        "/api/v1/developments", data="{not json", content_type="application/json"
    )
    # Without a token the request is refused before the body is read.
    assert response.status_code == 401
    assert json.loads(response.content)["detail"]
