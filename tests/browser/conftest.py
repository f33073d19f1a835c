"""A real browser: Playwright for Python driving Debian's Chromium (`make browser-deps`
installs it; nothing is downloaded), against pytest-django's live server."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (Debian's chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while it is open;
    # Django then refuses ORM calls here, though the tests' own calls are plain
    # synchronous code. Allowed for as long as the browser is open, and no longer.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser, request):
    """A fresh browser tab; every console error (a CSP violation, a script error) fails
    the test, and `shot(name)` saves a screenshot under tests/artifacts/browser/."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    folder = ARTIFACTS / re.sub(r"\W+", "-", request.node.name).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    count = [0]

    def shot(name: str) -> None:
        count[0] += 1
        page.screenshot(path=str(folder / f"{count[0]:02d}-{name}.png"), full_page=True)

    page.shot = shot
    page.console_errors = errors
    yield page
    context.close()
    assert errors == [], errors


AXE_SERIOUS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's script, as the axe-playwright-python wheel ships it (no download)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js").read_text()


@pytest.fixture
def audit(axe_script):
    """`audit(page)`: axe-core's serious and critical violations on the page as it stands,
    as readable lines (rule, impact, the offending elements)."""

    def run(page) -> list[str]:
        # Evaluated through the DevTools protocol, so the site's CSP does not stop it.
        page.evaluate(axe_script)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"]
            if v.get("impact") in AXE_SERIOUS
        ]

    return run
