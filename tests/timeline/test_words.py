"""Folding, as a reader's query and the stored search text both go through it."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from timeline.words import _LIGATURES, _NOT_WORD, fold


def fold_whole_text(text: str) -> str:
    """The definition: lower case, NFKD of the whole text, marks dropped, non-words spaced."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).strip()


def test_accents_case_ligatures_and_punctuation_fold_away():
    assert fold("Œuvre — Tokaïev À BRUXELLES, l’UE") == "oeuvre tokaiev a bruxelles l ue"
    assert fold("Қазақстан") == ""  # not Latin: a separator, as before
    assert fold("e\u0301te\u0301") == "ete"  # marks typed apart from their letter


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_folding_character_by_character_equals_folding_the_whole_text(text):
    assert fold(text) == fold_whole_text(text)


@given(st.text(alphabet="aeéèêëÉàçœŒæß-–—’ «»\u0301\u0308İ1xK", max_size=40))
def test_french_text_folds_as_the_definition_says(text):
    assert fold(text) == fold_whole_text(text)
