"""The interface speaks French by default and English on request, from the catalogues in
locale/; the French catalogue translates every string of the code, with nothing fuzzy."""

from __future__ import annotations

import datetime
import gettext
import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.base import development_fields
from timeline import commands

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
FR_PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
NBSP = "\u00a0"


# --- helpers --------------------------------------------------------------------------------


def text_of(response) -> str:
    """The page's visible text, roughly: tags, scripts and the picture dropped, entities
    decoded, every run of spaces (no-break spaces included) made one ordinary space."""
    html = response.content.decode()
    html = re.sub(r"<(script|svg)\b.*?</\1>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace(NBSP, " "))


def upcoming_band(response) -> str:
    band = re.search(r'<section class="upcoming".*?</section>', response.content.decode(), re.S)
    assert band is not None, "no upcoming band on the page"
    return unescape(band.group(0))


def navigation(response) -> str:
    nav = re.search(r"<nav\b.*?</nav>", response.content.decode(), re.S)
    assert nav is not None, "no navigation on the page"
    return unescape(nav.group(0))


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def record_soon(**overrides):
    """A development scheduled in ten days: it shows in the "upcoming" band."""
    soon = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    fields = development_fields(title="Visite prévue à Astana", status="scheduled", date=soon)
    fields.update(overrides)
    return commands.development_record(fields=fields, by="alice", via="admin")


# --- a .po file, read without polib -----------------------------------------------------------


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural and the msgstr list.
    Obsolete entries (#~) are left out; the header is the entry whose msgid is empty."""
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") or line.startswith("#") for line in lines):
            continue
        entry: dict = {"flags": set(), "msgstr": {}, "msgctxt": None, "msgid_plural": None}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = json.loads(line)
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += value
                else:
                    entry[key[0]] += value
            else:
                keyword, _, rest = line.partition(" ")
                value = json.loads(rest)
                plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                if plural:
                    key = ("msgstr", int(plural.group(1)))
                    entry["msgstr"][key[1]] = value
                elif keyword == "msgstr":
                    key = ("msgstr", 0)
                    entry["msgstr"][0] = value
                else:
                    key = (keyword, None)
                    entry[keyword] = value
        entries.append(entry)
    return entries


def problems_of(path: Path) -> list[str]:
    """Fuzzy entries (the header included) and entries left untranslated."""
    problems = []
    for entry in po_entries(path):
        label = repr(entry["msgid"]) if entry["msgid"] else "the header"
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {label}")
        if entry["msgid"] and any(not text for text in entry["msgstr"].values()):
            problems.append(f"untranslated: {label}")
    return problems


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


# --- the pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_timeline_is_french_by_default(client, world):
    record_soon()
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "fr"
    band = upcoming_band(response)
    assert "À venir" in band and "Upcoming" not in band
    assert "Visite prévue à Astana" in band
    assert "prévu" in band  # the status mark
    nav = navigation(response)
    for label in ("Chronologie", "Sujets", "Lettres hebdomadaires", "S'abonner"):
        assert label in nav
    for label in ("Timeline", "Topics", "Digests", "Subscribe"):
        assert f">{label}<" not in nav
    text = text_of(response)
    assert "Le Kazakhstan et l'Union européenne : la chronologie" in text
    assert "Tous les sujets" in text and "Rechercher" in text


@pytest.mark.django_db
def test_a_language_it_does_not_speak_gets_french(client, world):
    record_soon()
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert html_lang(response) == "fr"
    assert "À venir" in upcoming_band(response)


@pytest.mark.django_db
def test_choosing_english_switches_the_interface(client, world):
    record_soon()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.get("/")
    assert html_lang(response) == "en"
    band = upcoming_band(response)
    assert "Upcoming" in band and "À venir" not in band
    assert "Visite prévue à Astana" in band  # the content stays French
    nav = navigation(response)
    for label in ("Timeline", "Topics", "Digests", "Subscribe"):
        assert label in nav
    assert "Chronologie" not in nav and "Lettres hebdomadaires" not in nav
    assert "Kazakhstan and the European Union: the timeline" in text_of(response)

    # ... and back to French.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "À venir" in upcoming_band(client.get("/"))


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_english(world):
    record_soon()
    response = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,fr;q=0.5").get("/")
    assert html_lang(response) == "en"
    assert "Upcoming" in upcoming_band(response)
    assert "Timeline" in navigation(response)


@pytest.mark.django_db
def test_the_development_page_and_the_404_page_are_french(client, world):
    dev = record_soon()
    text = text_of(client.get(f"/developments/{dev.id}/"))
    for label in ("Statut", "Lieu", "Sujets", "Sources", "Historique", "Enregistré"):
        assert label in text
    missing = client.get("/nowhere/")
    assert missing.status_code == 404
    assert "Cette page n'existe pas" in text_of(missing)


@pytest.mark.django_db
def test_the_admin_lists_developments_with_french_labels(editor, world):
    record_soon()
    commands.development_record(
        fields=development_fields(title="Conseil de coopération"), by="alice", via="admin"
    )
    client = Client()
    client.force_login(editor)
    response = client.get("/admin/timeline/development/")
    assert response.status_code == 200
    assert html_lang(response) == "fr"
    text = text_of(response)
    # The model's name, the column headers, the filters and the status values.
    assert "Faits" in text
    headers = [
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", th))).strip()
        for th in re.findall(r'<th scope="col".*?</th>', response.content.decode(), re.S)
    ]
    for header in ("Titre", "Date", "Type", "Statut", "Sujets", "Dernière modification"):
        assert header in headers, headers
    for heading in ("Par type", "Par statut", "Par année"):
        assert heading in text
    assert "prévu" in text and "a eu lieu" in text and "réunion" in text
    for english in ("Developments", "took place", "scheduled", "By year", "meeting"):
        assert english not in text


@pytest.mark.django_db
def test_the_admin_names_the_topics_in_french(editor, world):
    """The topics filter and the history take the field's verbose name: Development.topics
    needs verbose_name=_("topics"), or the admin shows "Par topics" and "topics :"."""
    dev = record_soon()
    client = Client()
    client.force_login(editor)
    text = text_of(client.get("/admin/timeline/development/"))
    assert "Par sujets" in text and "Par topics" not in text
    text = text_of(client.get(f"/admin/timeline/development/{dev.id}/change/"))
    assert "sujets : APCR" in text or "sujets : epca" in text
    assert "topics :" not in text


@pytest.mark.django_db
def test_the_admin_offers_its_actions_in_french(editor, world):
    dev = record_soon()
    client = Client()
    client.force_login(editor)
    text = text_of(client.get(f"/admin/timeline/development/{dev.id}/change/"))
    for label in (
        "Corriger un fait",
        "Reprogrammer",
        "Confirmer qu'il a eu lieu",
        "Annuler le fait",
        "Retirer le fait",
        "Acteurs et leurs rôles",
    ):
        assert label in text
    text = text_of(client.get("/admin/timeline/development/add/"))
    assert "Enregistrer un fait" in text


# --- the catalogues --------------------------------------------------------------------------


def test_both_catalogues_exist():
    assert FR_PO.is_file() and EN_PO.is_file()


@pytest.mark.parametrize("po", [FR_PO, EN_PO], ids=["fr", "en"])
def test_each_catalogue_compiles(po, tmp_path):
    """What compilemessages runs: msgfmt --check-format, no fatal error."""
    mo = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", str(mo), str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    if po == FR_PO:
        # The header was compiled in (it is not fuzzy): French plurals, 0 and 1 singular.
        assert catalogue.info()["language"] == "fr"
        assert catalogue.ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", 0) == (
            "%(n)d jeton révoqué."
        )
        assert catalogue.ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", 2) == (
            "%(n)d jetons révoqués."
        )
        assert catalogue.gettext("Upcoming") == "À venir"


def test_the_french_catalogue_has_nothing_fuzzy_or_untranslated():
    entries = [e for e in po_entries(FR_PO) if e["msgid"]]
    assert len(entries) > 100
    assert problems_of(FR_PO) == []


def test_the_french_translations_keep_every_placeholder():
    wrong = []
    for entry in po_entries(FR_PO):
        if not entry["msgid"]:
            continue
        sources = [entry["msgid"]] + ([entry["msgid_plural"]] if entry["msgid_plural"] else [])
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        for index, text in entry["msgstr"].items():
            found = set(PLACEHOLDER.findall(text))
            # A singular form may leave out the count ("1 fait"), never add one.
            if found - wanted or (wanted - found and not (entry["msgid_plural"] and index == 0)):
                wrong.append((entry["msgid"], index, text))
    assert wrong == []


def test_the_english_catalogue_leaves_the_english_msgids_as_they_are():
    header = next(e for e in po_entries(EN_PO) if not e["msgid"])
    assert "fuzzy" not in header["flags"]
    assert "Language: en" in header["msgstr"][0]


def test_the_vocabulary_is_consistent():
    """One word for a development (« fait ») and one for a topic (« sujet »)."""
    french = " ".join(
        text for e in po_entries(FR_PO) if e["msgid"] for text in e["msgstr"].values()
    ).lower()
    for other in ("développement", "évolution", "thème", "digest"):
        assert other not in french, other
    assert "fait" in french and "sujet" in french and "lettre hebdomadaire" in french


def test_the_catalogue_covers_every_string_of_the_code(tmp_path):
    """makemessages on a copy of the code adds nothing untranslated or fuzzy: a string
    added to the code without its French translation fails here."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("kztrack", "timeline", "feeds", "templates", "locale"):
        shutil.copytree(
            ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "kztrack.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert problems_of(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po") == []
