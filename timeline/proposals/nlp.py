"""spaCy's French pipeline, loaded once and only when a proposal is asked for.

Loading `fr_core_news_md` takes seconds and a few hundred megabytes: the web app, the worker and
`make run` never pay for it unless an editor pastes a source, so both spaCy and the model are
imported here lazily rather than at module import.
"""

import functools
from typing import Any

MODELS = {"fr": "fr_core_news_md"}


@functools.cache
def pipeline(lang: str = "fr") -> Any:
    """The spaCy pipeline for a language (French serves English too: see README)."""
    import spacy  # heavy: imported on first use so that starting the web app stays fast

    return spacy.load(MODELS.get(lang, MODELS["fr"]))
