"""evaluate_proposals: the proposer measured against the curated seed, as the README reports."""

import re

import pytest
from django.core.management import call_command

from timeline.proposals.evaluation import locate


def test_locate_finds_a_quote_across_whitespace_and_markdown():
    text = "## PROGRAMME\n\n**Visite du  port** d'Aktaou."
    start, end = locate(text, "PROGRAMME Visite du port d'Aktaou")
    assert text[start:end] == "PROGRAMME\n\n**Visite du  port** d'Aktaou"
    assert locate(text, "Absent") is None


@pytest.mark.django_db
def test_it_prints_recall_exact_rate_and_precision_meeting_the_goals(capsys):
    call_command("evaluate_proposals")
    out = capsys.readouterr().out
    figures = {
        name: float(value)
        for name, value in re.findall(r"^(recall|exact EDTF|precision)\s+([\d.]+)", out, re.M)
    }
    assert set(figures) == {"recall", "exact EDTF", "precision"}
    assert figures["recall"] >= 0.8
    assert figures["precision"] >= 0.6
    assert figures["exact EDTF"] >= 0.7
    assert "001_0c0051620949b418.txt" in out
