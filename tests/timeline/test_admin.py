"""The editors' admin: what an editor does in /admin/ all day, through the browser's forms."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.base import make_staff_without_group, record
from timeline import commands, events
from timeline.models import Development, Event, Status, Topic

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/timeline/development/"


@pytest.fixture
def alice(editor) -> Client:
    """Alice, an editor, logged into the admin."""
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def bob() -> Client:
    """Bob: staff, but never made an editor."""
    client = Client()
    client.force_login(make_staff_without_group("bob"))
    return client


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw 42 pw"))
    return client


def change_url(dev) -> str:
    return reverse("admin:timeline_development_change", args=[dev.pk])


def action_url(dev, action: str) -> str:
    return reverse(f"admin:timeline_development_{action}", args=[dev.pk])


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def add_form_data(world, **overrides: Any) -> dict[str, Any]:
    """The add form as a browser posts it: one actor row, one source row, one blank row each."""
    data: dict[str, Any] = {
        "title": "Conseil de coopération UE–Kazakhstan",
        "kind": "meeting",
        "date": "2026-03",
        "status": "took_place",
        "date_note": "",
        "place": "Bruxelles",
        "stage": "",
        "topics": [str(world["epca"].pk), str(world["visa"].pk)],
        "summary": "Les deux parties font le point sur l'APCR.",
        **management("actors", total=2),
        "actors-0-actor": str(world["vassilenko"].pk),
        "actors-0-role": "vice-ministre",
        "actors-1-actor": "",
        "actors-1-role": "",
        **management("sources", total=2),
        "sources-0-publication": "Le Soir",
        "sources-0-title": "Le Kazakhstan et l'UE",
        "sources-0-author": "",
        "sources-0-date": "2026-03-02",
        "sources-0-url": "https://example.org/article",
        "sources-0-quote": "Une citation.",
        **{
            f"sources-1-{key}": ""
            for key in ("publication", "title", "author", "date", "url", "quote")
        },
        "_save": "Enregistrer",
    }
    data.update(overrides)
    return data


def prefilled(response) -> dict[str, Any]:
    """What the browser sends back when the editor submits the page's form untouched."""
    form = response.context["adminform"].form
    parts = [form]
    for formset in getattr(form, "formsets", {}).values():
        parts += [formset.management_form, *formset.forms]
    data: dict[str, Any] = {}
    for part in parts:
        for bound in part:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(value, list | tuple):
                value = [str(v) for v in value]
            data[bound.html_name] = value
    return data


# --- recording and correcting ------------------------------------------------------------


def test_it_records_corrects_and_shows_both_events_in_the_history(alice, world):
    response = alice.post(ADD_URL + "add/", add_form_data(world))
    assert response.status_code == 302, response.context["errors"]
    dev = Development.objects.get()
    assert (dev.date, dev.version) == ("2026-03", 1)
    assert sorted(t.slug for t in dev.topics.all()) == ["epca", "visa-facilitation"]
    assert [(r.actor.slug, r.role) for r in dev.roles.all()] == [
        ("roman-vassilenko", "vice-ministre")
    ]
    assert [s["publication"] for s in dev.sources] == ["Le Soir"]
    first = Event.objects.get()
    assert first.metadata == {"by": "alice", "via": "admin"}

    page = alice.get(change_url(dev))
    data = prefilled(page)
    assert data["expected_version"] == 1
    data.update(
        title="Conseil de coopération UE–Kazakhstan, 21e session",
        note="La session était la 21e.",
        _save="Enregistrer",
    )
    response = alice.post(change_url(dev), data)
    assert response.status_code == 302, response.context["errors"]

    dev.refresh_from_db()
    assert (dev.title, dev.version, dev.corrections) == (
        "Conseil de coopération UE–Kazakhstan, 21e session",
        2,
        1,
    )
    last = Event.objects.order_by("-position").first()
    # Only the changed field is sent, though the whole form was posted back.
    assert last.data == {
        "changes": {"title": dev.title},
        "note": "La session était la 21e.",
        "silent": False,
    }

    page = alice.get(change_url(dev))
    history = page.context["history"]
    assert [row.entry.type for row in history] == [events.RECORDED, events.CORRECTED]
    assert [row.entry.by for row in history] == ["alice", "alice"]
    [(_, before, after)] = history[1].changes
    assert (before, after) == (
        "Conseil de coopération UE–Kazakhstan",
        "Conseil de coopération UE–Kazakhstan, 21e session",
    )
    assert "La session était la 21e." in page.content.decode()

    listing = alice.get(ADD_URL).content.decode()
    assert "21e session" in listing
    assert "mars 2026" in listing


def test_a_double_submitted_add_form_records_once(alice, world):
    key = prefilled(alice.get(ADD_URL + "add/"))["idempotency_key"]
    data = add_form_data(world, idempotency_key=key)
    assert alice.post(ADD_URL + "add/", data).status_code == 302
    assert alice.post(ADD_URL + "add/", data).status_code == 302
    assert Development.objects.count() == 1
    assert Event.objects.count() == 1


def test_a_double_submitted_action_is_applied_once(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    data = prefilled(alice.get(action_url(dev, "cancel")))
    data["reason"] = "Reporté sine die."
    assert alice.post(action_url(dev, "cancel"), data).status_code == 302
    assert alice.post(action_url(dev, "cancel"), data).status_code == 302
    assert Event.objects.count() == 2


def test_a_silent_fix_needs_no_note_but_a_public_correction_does(alice, world):
    dev = record(by="carol", title="Réunoin")
    data = prefilled(alice.get(change_url(dev)))
    data["title"] = "Réunion"
    response = alice.post(change_url(dev), data)
    assert response.status_code == 200
    assert "note" in response.context["adminform"].form.errors
    assert Event.objects.count() == 1

    data["silent"] = "on"
    assert alice.post(change_url(dev), data).status_code == 302
    dev.refresh_from_db()
    assert (dev.title, dev.corrections, dev.version) == ("Réunion", 0, 2)
    # Readers do not see a silent fix; editors do.
    [_, fix] = alice.get(change_url(dev)).context["history"]
    assert fix.entry.silent and fix.changes[0][1:] == ("Réunoin", "Réunion")


def test_a_stale_version_shows_the_conflict_and_appends_nothing(alice, world):
    dev = record(by="carol")
    data = prefilled(alice.get(change_url(dev)))  # Alice opens version 1 …
    commands.development_correct(  # … Carol corrects it meanwhile …
        id=dev.id,
        expected_version=1,
        changes={"place": "Luxembourg"},
        note="Lieu corrigé.",
        by="carol",
        via="admin",
    )
    data.update(title="Titre d'Alice", note="Alice corrige le titre.")
    response = alice.post(change_url(dev), data)  # … and saves on top of it.

    assert response.status_code == 200
    form = response.context["adminform"].form
    [message] = form.non_field_errors()
    assert "carol" in message and "version 2" in message
    assert Event.objects.count() == 2
    assert Development.objects.get().title != "Titre d'Alice"
    # Her input is still there to copy.
    assert 'value="Titre d&#x27;Alice"' in response.content.decode()


def test_a_bad_edtf_date_is_shown_on_the_date_field(alice, world):
    response = alice.post(ADD_URL + "add/", add_form_data(world, date="2026-13"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["date"]
    assert "2026-13" in errors["date"][0]
    assert not Event.objects.exists()


def test_a_bad_source_is_shown_on_the_sources_rows(alice, world):
    response = alice.post(
        ADD_URL + "add/", add_form_data(world, **{"sources-0-url": "pas-une-url"})
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "pas-une-url" in form.source_rows.non_form_errors()[0]
    assert "pas-une-url" in response.content.decode()
    assert not Event.objects.exists()


def test_it_refuses_a_role_without_an_actor(alice, world):
    data = add_form_data(world, **{"actors-1-role": "porte-parole"})
    response = alice.post(ADD_URL + "add/", data)
    assert response.status_code == 200
    assert "actor" in response.context["adminform"].form.actor_rows.forms[1].errors
    assert not Event.objects.exists()


def test_it_removes_an_actor_and_adds_a_source_on_correction(alice, world):
    dev = record(by="carol")
    data = prefilled(alice.get(change_url(dev)))
    data["actors-0-DELETE"] = "on"
    data.update(
        {
            "sources-1-publication": "The Astana Times",
            "sources-1-title": "EU talks",
            "note": "Source ajoutée ; acteur retiré.",
        }
    )
    assert alice.post(change_url(dev), data).status_code == 302
    dev.refresh_from_db()
    assert dev.roles.count() == 0
    assert [s["publication"] for s in dev.sources] == ["Le Soir", "The Astana Times"]
    assert set(Event.objects.order_by("-position").first().data["changes"]) == {"actors", "sources"}


# --- status actions ----------------------------------------------------------------------


def test_a_scheduled_development_offers_its_four_actions(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    page = alice.get(change_url(dev))
    assert [a["name"] for a in page.context["status_actions"]] == [
        "reschedule",
        "confirm",
        "cancel",
        "retract",
    ]
    for name in ("reschedule", "confirm", "cancel", "retract"):
        assert action_url(dev, name) in page.content.decode()


def test_one_that_took_place_offers_only_retraction(alice, world):
    dev = record(by="carol", status="took_place")
    page = alice.get(change_url(dev))
    assert [a["name"] for a in page.context["status_actions"]] == ["retract"]
    response = alice.get(action_url(dev, "reschedule"))
    assert response.status_code == 302 and response.url == change_url(dev)


def test_it_reschedules_then_confirms(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    page = alice.get(action_url(dev, "reschedule"))
    assert page.status_code == 200
    data = prefilled(page)
    assert set(data) == {"expected_version", "idempotency_key"}
    assert data["expected_version"] == 1
    data.update(date="2026-07-14", note="Reportée à la demande de la présidence.")
    response = alice.post(action_url(dev, "reschedule"), data)
    assert response.status_code == 302
    dev.refresh_from_db()
    assert (dev.date, dev.version, dev.reschedulings) == ("2026-07-14", 2, 1)

    response = alice.post(
        action_url(dev, "confirm"), {"expected_version": 2, "date": "", "note": ""}
    )
    assert response.status_code == 302
    dev.refresh_from_db()
    assert (dev.status, dev.date, dev.version) == (Status.TOOK_PLACE, "2026-07-14", 3)

    history = alice.get(change_url(dev)).context["history"]
    assert [row.entry.type for row in history] == [
        events.RECORDED,
        events.RESCHEDULED,
        events.CONFIRMED,
    ]
    assert history[1].note == "Reportée à la demande de la présidence."
    assert "14 juillet 2026" in history[1].changes[0][2]


def test_it_cancels_with_a_reason(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    response = alice.post(
        action_url(dev, "cancel"), {"expected_version": 1, "reason": "Le sommet est annulé."}
    )
    assert response.status_code == 302
    dev.refresh_from_db()
    assert (dev.status, dev.status_reason) == (Status.CANCELLED, "Le sommet est annulé.")


def test_a_cancellation_needs_a_reason(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    response = alice.post(action_url(dev, "cancel"), {"expected_version": 1, "reason": " "})
    assert response.status_code == 200
    assert "reason" in response.context["adminform"].form.errors
    assert Event.objects.count() == 1


def test_it_retracts_and_the_page_becomes_read_only(alice, world):
    dev = record(by="carol")
    response = alice.post(
        action_url(dev, "retract"),
        {"expected_version": 1, "reason": "Aucune source ne le confirme."},
    )
    assert response.status_code == 302
    dev.refresh_from_db()
    assert dev.status == Status.RETRACTED

    page = alice.get(change_url(dev))
    assert page.status_code == 200
    assert page.context["status_actions"] == []
    assert "Aucune source ne le confirme." in page.content.decode()
    assert [row.entry.type for row in page.context["history"]] == [
        events.RECORDED,
        events.RETRACTED,
    ]
    # No correction once retracted.
    data = {"title": "Autre", "expected_version": 2, "note": "n"}
    assert alice.post(change_url(dev), data).status_code == 403
    assert Event.objects.count() == 2


def test_a_stale_action_shows_the_conflict(alice, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    commands.development_reschedule(
        id=dev.id, expected_version=1, date="2026-09", by="carol", via="admin"
    )
    response = alice.post(action_url(dev, "cancel"), {"expected_version": 1, "reason": "r"})
    assert response.status_code == 200
    [message] = response.context["adminform"].form.non_field_errors()
    assert "carol" in message
    assert Event.objects.count() == 2


# --- permissions -------------------------------------------------------------------------


def test_staff_without_the_editors_group_gets_403(bob, world):
    dev = record(by="carol", status="scheduled", date="2026-06")
    assert bob.get(ADD_URL + "add/").status_code == 403
    assert bob.post(ADD_URL + "add/", add_form_data(world)).status_code == 403
    for name in ("reschedule", "confirm", "cancel", "retract"):
        assert bob.get(action_url(dev, name)).status_code == 403
        assert (
            bob.post(
                action_url(dev, name), {"expected_version": 1, "reason": "r", "date": "2026-07"}
            ).status_code
            == 403
        )
    assert bob.post(change_url(dev), {"title": "x"}).status_code == 403
    assert Event.objects.count() == 1


def test_nobody_deletes_a_development(root, world):
    dev = record(by="carol")
    page = root.get(change_url(dev))
    assert page.context["has_delete_permission"] is False
    assert root.get(change_url(dev) + "../delete/").status_code == 403
    assert Development.objects.count() == 1


def test_the_event_log_is_read_only_even_for_superusers(root, world):
    dev = record(by="carol", title="Réunion", summary='Il a dit "bonjour" <b>fort</b>.')
    event = Event.objects.get()
    listing = root.get("/admin/timeline/event/")
    assert listing.status_code == 200
    assert "/admin/timeline/event/add/" not in listing.content.decode()
    assert root.get("/admin/timeline/event/add/").status_code == 403
    url = reverse("admin:timeline_event_change", args=[event.pk])
    assert root.post(url, {"type": "X"}).status_code == 403
    assert root.get(reverse("admin:timeline_event_delete", args=[event.pk])).status_code == 403

    page = root.get(url).content.decode()
    assert 'name="_save"' not in page
    assert "&quot;title&quot;: &quot;Réunion&quot;" in page  # pretty JSON, escaped
    assert "&lt;b&gt;fort&lt;/b&gt;" in page and "<b>fort</b>" not in page
    assert str(dev.id) in page


def test_the_event_log_filters_by_type_and_via_and_searches_by_stream(alice, world):
    one = record(by="carol")
    other = record(by="carol", status="scheduled")
    commands.development_cancel(id=other.id, expected_version=1, reason="r", by="x", via="api")

    def positions(query):
        response = alice.get("/admin/timeline/event/" + query)
        assert response.status_code == 200
        return sorted(e.position for e in response.context["cl"].result_list)

    assert positions(f"?type__exact={events.CANCELLED}") == [3]
    assert positions("?via=api") == [3]
    assert positions(f"?q={other.id}") == [2, 3]
    assert positions(f"?q={str(one.id)[:8]}") == [1]


# --- escaping ------------------------------------------------------------------------------


def test_editors_text_is_escaped_in_the_list_and_the_history(alice, world):
    title = "<script>alert(1)</script>"
    response = alice.post(ADD_URL + "add/", add_form_data(world, title=title))
    assert response.status_code == 302
    dev = Development.objects.get()
    data = prefilled(alice.get(change_url(dev)))
    data.update(place="<img src=x onerror=alert(2)>", note="<i>note</i>")
    assert alice.post(change_url(dev), data).status_code == 302

    for page in (alice.get(ADD_URL), alice.get(change_url(dev))):
        html = page.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    history_html = alice.get(change_url(dev)).content.decode().split('id="history"')[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history_html
    assert "&lt;img src=x onerror=alert(2)&gt;" in history_html
    assert "<img src=x" not in history_html and "<i>note</i>" not in history_html


# --- the list ------------------------------------------------------------------------------


def test_the_list_filters_by_topic_kind_status_and_year(alice, world):
    record(
        by="carol", title="APCR 2025", topics=["epca"], kind="agreement_stage", date="2025-05-12"
    )
    record(
        by="carol",
        title="Visas 2026",
        topics=["visa-facilitation"],
        kind="meeting",
        date="2026-02",
        status="scheduled",
    )
    record(
        by="carol",
        title="Les deux 2024",
        topics=["epca", "visa-facilitation"],
        kind="visit",
        date="2024-23",
    )

    def titles(query):
        response = alice.get(ADD_URL + query)
        assert response.status_code == 200
        return sorted(d.title for d in response.context["cl"].result_list)

    assert titles("") == ["APCR 2025", "Les deux 2024", "Visas 2026"]
    assert titles(f"?topics__id__exact={world['epca'].pk}") == ["APCR 2025", "Les deux 2024"]
    assert titles("?kind__exact=visit") == ["Les deux 2024"]
    assert titles("?status__exact=scheduled") == ["Visas 2026"]
    assert titles("?year=2025") == ["APCR 2025"]
    # The search text holds the topics' names: "Les deux" is filed under visa facilitation.
    assert titles("?q=Visas") == ["Les deux 2024", "Visas 2026"]
    assert titles("?q=2026") == ["Visas 2026"]
    years = alice.get(ADD_URL).content.decode()
    assert "?year=2024" in years and "?year=2026" in years and "?year=2023" not in years


def test_the_list_marks_scheduled_cancelled_retracted_and_corrected(alice, world):
    coming = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    scheduled = record(by="carol", title="Prévue", status="scheduled", date=coming)
    past = record(by="carol", title="Passée", status="scheduled", date="2020-01-15")
    cancelled = record(by="carol", title="Annulée", status="scheduled")
    commands.development_cancel(
        id=cancelled.id, expected_version=1, reason="r", by="x", via="admin"
    )
    corrected = record(by="carol", title="Corrigée")
    commands.development_correct(
        id=corrected.id,
        expected_version=1,
        changes={"place": "Astana"},
        note="n",
        by="x",
        via="admin",
    )
    retracted = record(by="carol", title="Retirée")
    commands.development_retract(
        id=retracted.id, expected_version=1, reason="r", by="x", via="admin"
    )
    html = alice.get(ADD_URL).content.decode()
    for css in (
        "kz-scheduled",
        "kz-awaiting_confirmation",
        "kz-cancelled",
        "kz-retracted",
        "kz-corrected",
    ):
        assert css in html
    assert scheduled.title in html
    assert past.title in html


# --- autocomplete and reference data -------------------------------------------------------


def test_topics_and_actors_autocomplete_for_editors(alice, world):
    topics = alice.get(
        "/admin/autocomplete/",
        {
            "app_label": "timeline",
            "model_name": "development",
            "field_name": "topics",
            "term": "visa",
        },
    )
    assert topics.status_code == 200
    assert [r["id"] for r in topics.json()["results"]] == [str(world["visa"].pk)]
    actors = alice.get(
        "/admin/autocomplete/",
        {
            "app_label": "timeline",
            "model_name": "developmentactor",
            "field_name": "actor",
            "term": "kallas",
        },
    )
    assert [r["text"] for r in actors.json()["results"]] == ["Kaja Kallas"]
    page = alice.get(ADD_URL + "add/").content.decode()
    assert "admin-autocomplete" in page and 'data-field-name="topics"' in page


def test_a_topic_slug_is_fixed_once_created_and_its_stages_are_inline(alice, world):
    page = alice.get(reverse("admin:timeline_topic_change", args=[world["epca"].pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "slug" not in form.fields and "name_fr" in form.fields
    assert page.context["inline_admin_formsets"][0].formset.prefix == "stages"
    add = alice.get(reverse("admin:timeline_topic_add")).context["adminform"].form
    assert "slug" in add.fields
    assert Topic.objects.count() == 2


def test_an_actor_slug_is_fixed_once_created(alice, world):
    page = alice.get(reverse("admin:timeline_actor_change", args=[world["kallas"].pk]))
    assert "slug" not in page.context["adminform"].form.fields
    assert alice.get(reverse("admin:timeline_actor_add")).status_code == 200
