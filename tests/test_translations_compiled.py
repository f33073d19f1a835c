"""The compiled catalogues (locale/*/LC_MESSAGES/django.mo) are committed, so that `make run`
needs no GNU gettext; each must say exactly what its .po says. A .po edited without
recompiling fails here, with the command that fixes it: `make messages`."""

from __future__ import annotations

import gettext
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))
FIX = "the compiled catalogue {mo} is stale: run `make messages` and commit the .mo"


def expected_catalog(po: polib.POFile) -> dict:
    """What msgfmt compiles from the .po, keyed as gettext.GNUTranslations keys it: the
    msgid ("context\\x04msgid" with a msgctxt), or (msgid, n) for each plural form.

    msgfmt leaves out obsolete and fuzzy entries, and entries whose msgstr (msgstr[0] for
    a plural) is empty; the header is the entry with the empty msgid."""
    catalog: dict = {}
    for entry in po:
        if entry.obsolete or entry.fuzzy:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)]
            if forms and forms[0]:
                catalog.update({(key, n): text for n, text in enumerate(forms)})
        elif entry.msgstr:
            catalog[key] = entry.msgstr
    return catalog


# msgfmt leaves this one out of the .mo, and makemessages rewrites it on every run.
NOT_COMPILED = {"POT-Creation-Date"}


def header_fields(header: str | dict[str, str]) -> dict[str, str]:
    """The "Name: value" fields of a catalogue's header, as msgfmt compiles them."""
    if isinstance(header, str):
        lines = (line.partition(":") for line in header.splitlines())
        header = {name: value for name, sep, value in lines if sep}
    return {
        name.strip(): value.strip() for name, value in header.items() if name not in NOT_COMPILED
    }


def compiled_catalog(mo: Path) -> tuple[dict, dict[str, str]]:
    """The messages of a .mo as Python's gettext reads them, and its header apart."""
    with mo.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    catalog = dict(translations._catalog)  # the public API translates; it does not list
    return catalog, header_fields(catalog.pop("", ""))


def differences(po_path: Path, mo_path: Path) -> list[str]:
    """Every way the .mo says something other than the .po: missing, different or extra."""
    po = polib.pofile(str(po_path))
    wanted = expected_catalog(po)
    wanted_header = {} if po.metadata_is_fuzzy else header_fields(po.metadata)
    found, found_header = compiled_catalog(mo_path)
    problems = []
    for key, text in wanted.items():
        if key not in found:
            problems.append(f"missing from the .mo: {key!r}")
        elif found[key] != text:
            problems.append(f"{key!r}: the .po says {text!r}, the .mo {found[key]!r}")
    for key in found.keys() - wanted.keys():
        problems.append(f"in the .mo but not translated in the .po: {key!r}")
    if found_header != wanted_header:
        problems.append(f"the header differs: .po {wanted_header!r}, .mo {found_header!r}")
    return problems


def test_both_languages_have_a_catalogue():
    assert {po.parent.parent.name for po in CATALOGUES} == {"fr", "en"}


@pytest.mark.parametrize("po", CATALOGUES, ids=[po.parent.parent.name for po in CATALOGUES])
def test_the_committed_mo_says_what_the_po_says(po):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), FIX.format(mo=mo.relative_to(ROOT))
    problems = differences(po, mo)
    assert not problems, FIX.format(mo=mo.relative_to(ROOT)) + ":\n  " + "\n  ".join(problems)


def test_the_french_mo_holds_plurals_and_contexts_as_gettext_keys_them():
    """The check above compares something: the French catalogue has plural entries."""
    po = polib.pofile(str(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    catalog, header = compiled_catalog(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo")
    assert header["Language"] == "fr"
    assert len(catalog) > 100
    assert any(isinstance(key, tuple) for key in catalog)
    assert expected_catalog(po).keys() == catalog.keys()


def test_a_stale_mo_fails_with_the_command_to_run(tmp_path):
    """A translation changed in the .po, a context added, an entry made fuzzy and one
    removed, without recompiling: each is reported."""
    source = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    stale_mo = tmp_path / "django.mo"
    polib.pofile(str(source)).save_as_mofile(str(stale_mo))
    assert differences(source, stale_mo) == []

    po = polib.pofile(str(source))
    singulars = [e for e in po.translated_entries() if not e.msgid_plural and not e.msgctxt]
    plural = next(e for e in po.translated_entries() if e.msgid_plural)
    changed, fuzzy, removed = singulars[:3]
    changed.msgstr += " (révisé)"
    fuzzy.flags.append("fuzzy")
    po.remove(removed)
    plural.msgstr_plural[1] += " (révisé)"
    po.append(polib.POEntry(msgctxt="month", msgid="May", msgstr="mai"))
    edited = tmp_path / "django.po"
    po.save(str(edited))

    problems = "\n".join(differences(edited, stale_mo))
    assert repr(changed.msgid) in problems
    assert repr(fuzzy.msgid) in problems and repr(removed.msgid) in problems
    assert repr((plural.msgid, 1)) in problems
    assert repr("month\x04May") in problems
