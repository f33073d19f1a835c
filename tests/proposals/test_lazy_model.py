"""The web app starts without spaCy: the model loads only when a proposal is asked for."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_starting_the_web_app_does_not_import_spacy():
    code = (
        "import sys, django; django.setup(); import kztrack.urls, kztrack.wsgi; "
        "from django.contrib import admin; admin.autodiscover(); "
        "sys.exit(1 if 'spacy' in sys.modules else 0)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kztrack.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr or "spacy was imported at start-up"
