"""From a source text to proposed developments: pure, no database.

1. spaCy splits the text into sentences (a line break always ends one: reports list their
   programme one item a line), tags entities and gives lemmas.
2. The temporal grammar (temporal.py) reads every date expression, resolved against the
   publication date.
3. A sentence becomes a proposal when it tells of something dated: a date expression and an
   event word or a verb, or an event word under a span the text set before ("Du 16 au 20 mai
   2023, une délégation …" then "Rencontre avec …": one moment in that window).
4. Kind, status, place, actors, topics and possible duplicates are added from the sentence.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from timeline.proposals import lexicon
from timeline.proposals.nlp import pipeline
from timeline.proposals.temporal import (
    FAR_PAST,
    Publication,
    Temporal,
    bounds_of,
    in_margin_of,
    read_temporals,
    say_day,
    window,
)

TITLE_MAX = 110


@dataclass(frozen=True)
class KnownActor:
    slug: str
    name: str
    kind: str = "person"  # "person" | "institution"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnownTopic:
    slug: str
    name: str = ""


@dataclass(frozen=True)
class ExistingDevelopment:
    id: str
    title: str
    date: str
    lower: datetime.date
    upper: datetime.date
    actors: tuple[str, ...] = ()


@dataclass
class Proposal:
    title: str
    summary: str
    date: str
    date_note: str
    kind: str
    status: str
    place: str
    topics: list[str]
    actors: list[dict[str, Any]]
    quote: str
    start: int
    end: int
    duplicates: list[str] = field(default_factory=list)
    meaning: str = "point"
    lower: datetime.date | None = None
    upper: datetime.date | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lower"] = self.lower.isoformat() if self.lower else None
        data["upper"] = self.upper.isoformat() if self.upper else None
        return data


@dataclass(frozen=True)
class _Sentence:
    tokens: Sequence[Any]
    start: int
    end: int
    text: str


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe: 'Tokaïev' → 'tokaiev'."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def skeleton(text: str) -> str:
    """fold() plus the usual transliteration variants: Tokayev, Tokaïev and Tokaiev agree."""
    text = fold(text)
    for a, b in (
        ("sh", "ch"),
        ("kh", "h"),
        ("dzh", "j"),
        ("zh", "j"),
        ("y", "i"),
        ("ou", "u"),
        ("ck", "k"),
    ):
        text = text.replace(a, b)
    text = re.sub(r"(.)\1", r"\1", text)  # Vassilenko / Vasilenko
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def propose(
    text: str,
    *,
    published: str | datetime.date | None,
    publication: str = "",
    lang: str = "fr",
    actors: Iterable[KnownActor] = (),
    topics: Iterable[KnownTopic] = (),
    existing: Iterable[ExistingDevelopment] = (),
) -> list[Proposal]:
    """The dated developments a source text tells of, in the order of the text."""
    pub = Publication.of(published)
    known_actors = list(actors)
    topic_slugs = {t.slug for t in topics}
    existing_list = list(existing)
    # Non-breaking spaces become plain ones (same length, so offsets hold): spaCy's sentence
    # splitter otherwise cuts "Kazakhstan-UE\u00a0qui se tient" in two.
    # Markdown marks go too ("**Entretien" would be one token).
    cleaned = re.sub(r"[*#_]", " ", text.replace("\u00a0", " ").replace("\u202f", " "))
    doc = pipeline(lang)(cleaned)
    proposals: list[Proposal] = []
    frame: Temporal | None = None
    for sentence in _sentences(doc):
        temporals = read_temporals(sentence.tokens, pub)
        lemmas = {t.lemma_.lower() for t in sentence.tokens}
        words = {t.text.lower() for t in sentence.tokens}
        has_trigger = bool((lemmas | words) & lexicon.TRIGGERS)
        has_verb = any(t.pos_ in ("VERB", "AUX") for t in sentence.tokens)
        chosen = _main(temporals)
        if chosen is not None and chosen.meaning == "span":
            frame = chosen
        if chosen is None and pub is not None and _past_event(sentence):
            chosen = _before_publication(sentence, pub)
        elif chosen is None:
            if not (has_trigger and frame is not None and _undated_event(sentence)):
                continue
            note = (
                f"Jour non précisé : pendant « {frame.text} » "
                f"({say_day(frame.lower)} – {say_day(frame.upper)}), dit plus haut dans le texte"
            )
            chosen = Temporal(
                sentence.start,
                sentence.start,
                "",
                window(frame.lower, frame.upper),
                frame.lower,
                frame.upper,
                "window",
                note,
                relative=True,
            )
        elif not (has_trigger or has_verb):
            continue
        if chosen.meaning == "span" and "en marge" in fold(sentence.text):
            chosen = in_margin_of(chosen, "en marge de")
        proposal = _proposal(sentence, chosen, pub, known_actors, topic_slugs, lemmas)
        proposal.duplicates = _duplicates(proposal, existing_list)
        proposals.append(proposal)
    return proposals


def _sentences(doc: Any) -> Iterable[_Sentence]:
    """Sentences from spaCy's tokens: ended by . ! ? … or a line break.

    Not the parser's own sentence boundaries: on press French it cuts at ";" and inside
    "Kazakhstan-UE", which would split one development's quote in two. spaCy's tokenizer
    keeps abbreviations such as "M." whole, so a full stop token does end a sentence.
    """
    run: list[Any] = []
    for token in doc:
        if "\n" in token.text:
            yield from _sentence(run)
            run = []
            continue
        run.append(token)
        if token.text in (".", "!", "?", "…", "?!") or "\n" in token.whitespace_:
            yield from _sentence(run)
            run = []
    yield from _sentence(run)


def _sentence(run: list[Any]) -> Iterable[_Sentence]:
    while run and (run[0].is_space or run[0].is_punct and run[0].text not in '«("“'):
        run = run[1:]
    while run and run[-1].is_space:
        run = run[:-1]
    if sum(1 for t in run if not t.is_punct and not t.is_space) < 3:
        return
    start = run[0].idx
    end = run[-1].idx + len(run[-1].text)
    yield _Sentence(run, start, end, run[0].doc.text[start:end])


_RANK = {"day": 4, "span": 4, "window": 3, "month": 3, "season": 2, "year": 1}


def _precision(t: Temporal) -> int:
    if t.meaning == "span":
        return 4
    if t.meaning == "window":
        return 2 if (t.upper - t.lower).days < 400 else 1
    days = (t.upper - t.lower).days
    if days == 0:
        return 4
    if days < 32:
        return 3
    if days < 100:
        return 2
    return 1


def _precise(t: Temporal) -> bool:
    return _precision(t) >= 1


def _main(temporals: Sequence[Temporal]) -> Temporal | None:
    """The date a sentence is about: its most precise expression, the first one on a tie."""
    if not temporals:
        return None
    best = max(_precision(t) for t in temporals)
    return next(t for t in temporals if _precision(t) == best)


def _past_event(sentence: _Sentence) -> bool:
    """An event verb in a past tense: "a présenté", "s'est rendu", "a participé"."""
    return any(
        t.pos_ == "VERB" and "Past" in t.morph.get("Tense") and t.lemma_.lower() in lexicon.TRIGGERS
        for t in sentence.tokens
    )


def _before_publication(sentence: _Sentence, pub: Publication) -> Temporal:
    """An undated past event: before the publication, at the publication's own precision."""
    if pub.day is not None:
        note = f"Non daté dans le texte : fait passé rapporté dans {pub.said()}, donc avant"
        return Temporal(
            sentence.start,
            sentence.start,
            "",
            window(None, pub.upper),
            FAR_PAST,
            pub.upper,
            "window",
            note,
            relative=True,
        )
    note = f"Non daté dans le texte : fait passé rapporté dans {pub.said()}"
    return Temporal(
        sentence.start,
        sentence.start,
        "",
        pub.edtf,
        pub.lower,
        pub.upper,
        "point",
        note,
        relative=True,
    )


def _undated_event(sentence: _Sentence) -> bool:
    """An event word near the start: a programme line ("Rencontre avec …", "Visite du port")."""
    head = [t for t in sentence.tokens if not t.is_punct][:6]
    return any(
        t.lemma_.lower() in lexicon.TRIGGERS or t.text.lower() in lexicon.TRIGGERS for t in head
    )


def _proposal(
    sentence: _Sentence,
    chosen: Temporal,
    pub: Publication | None,
    known_actors: list[KnownActor],
    topic_slugs: set[str],
    lemmas: set[str],
) -> Proposal:
    status = _status(sentence, chosen, pub)
    note = chosen.note
    if note:
        note = note[0].upper() + note[1:]
        if not note.endswith("."):
            note += "."
    return Proposal(
        title=_title(sentence, chosen),
        summary=" ".join(sentence.text.split()),
        date=chosen.edtf,
        date_note=note,
        kind=_kind(lemmas | {t.text.lower() for t in sentence.tokens}),
        status=status,
        place=_place(sentence),
        topics=_topics(sentence.text, topic_slugs),
        actors=_actors(sentence, known_actors),
        quote=sentence.text,
        start=sentence.start,
        end=sentence.end,
        meaning=chosen.meaning,
        lower=chosen.lower,
        upper=chosen.upper,
    )


def _status(sentence: _Sentence, chosen: Temporal, pub: Publication | None) -> str:
    if pub is None:
        return "took_place"
    if chosen.lower > pub.upper:
        return "scheduled"
    future = any("Fut" in t.morph.get("Tense") for t in sentence.tokens)
    if chosen.upper >= pub.lower and (
        future or chosen.lower >= pub.lower and chosen.upper > pub.upper
    ):
        return "scheduled"
    return "took_place"


def _kind(words: set[str]) -> str:
    for kind, vocabulary in lexicon.KINDS:
        if words & vocabulary:
            return kind
    return "other"


def _title(sentence: _Sentence, chosen: Temporal) -> str:
    text = sentence.text
    if chosen.text and text.startswith(chosen.text):
        text = text[len(chosen.text) :]
    text = " ".join(text.split()).lstrip(" ,;:–-")
    if len(text) > TITLE_MAX:
        cut = text[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:")
        text = cut + "…"
    text = text.rstrip(".")
    return text[:1].upper() + text[1:]


def _place(sentence: _Sentence) -> str:
    places: list[str] = []
    doc = sentence.tokens[0].doc
    for ent in doc.ents:
        if ent.start_char < sentence.start or ent.end_char > sentence.end:
            continue
        if ent.label_ not in ("LOC", "GPE"):
            continue
        before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
        if before in lexicon.PLACE_PREPOSITIONS and ent.text not in places:
            places.append(ent.text)
    return ", ".join(places)


def _topics(text: str, topic_slugs: set[str]) -> list[str]:
    folded = fold(text)
    found = []
    for slug, prefixes in lexicon.TOPICS.items():
        if topic_slugs and slug not in topic_slugs:
            continue
        if any(re.search(r"(?<![a-z])" + re.escape(p), folded) for p in prefixes):
            found.append(slug)
    return found


def _forms(actor: KnownActor) -> list[str]:
    forms = [actor.name, *actor.aliases]
    forms += re.findall(r"\(([^)]+)\)", actor.name)  # "… Centre (AIFC)" → "AIFC"
    return [skeleton(re.sub(r"\([^)]*\)", "", f)) for f in forms if f.strip()]


def _actors(sentence: _Sentence, known: list[KnownActor]) -> list[dict[str, Any]]:
    """Known actors named in the sentence, then people and institutions we don't know (new)."""
    text = " " + skeleton(sentence.text) + " "
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for actor in known:
        forms = _forms(actor)
        hit = any(f and f" {f} " in text for f in forms)
        if not hit and actor.kind == "person":
            surname = skeleton(actor.name).split(" ")[-1] if actor.name.strip() else ""
            hit = len(surname) >= 5 and f" {surname} " in text
        if hit and actor.slug not in seen:
            seen.add(actor.slug)
            found.append({"actor": actor.slug, "name": actor.name, "role": "", "new": False})
    known_text = " ".join(
        f for a in known if a.slug in seen for f in [*_forms(a), skeleton(a.name)]
    )
    doc = sentence.tokens[0].doc
    for ent in doc.ents:
        if ent.start_char < sentence.start or ent.end_char > sentence.end:
            continue
        if ent.label_ not in ("PER", "ORG"):
            continue
        name = ent.text.strip(" ,.;:")
        folded = skeleton(name)
        if len(folded) < 3 or any(p and p in known_text for p in folded.split(" ") if len(p) >= 5):
            continue
        if ent.label_ == "PER" and len(name.split()) < 2:
            continue  # a lone first name or surname is too thin to propose as a new person
        if name not in {a["name"] for a in found}:
            found.append({"actor": None, "name": name, "role": "", "new": True})
    return found


def _words(text: str) -> set[str]:
    return {w for w in skeleton(text).split() if len(w) >= 4}


def _duplicates(proposal: Proposal, existing: list[ExistingDevelopment]) -> list[str]:
    """Recorded developments whose dates overlap and whose title or actors are alike."""
    if proposal.lower is None or proposal.upper is None:
        return []
    mine = _words(proposal.title + " " + proposal.summary)
    my_actors = {a["actor"] for a in proposal.actors if a["actor"]}
    open_window = (proposal.upper - proposal.lower).days > 400
    found = []
    for dev in existing:
        if dev.upper < proposal.lower or dev.lower > proposal.upper:
            continue
        theirs = _words(dev.title)
        similarity = len(mine & theirs) / len(theirs) if theirs else 0.0
        shared = len(my_actors & set(dev.actors))
        if similarity >= 0.5 or (not open_window and (similarity >= 0.3 or shared >= 1)):
            found.append(str(dev.id))
    return found


def proposal_bounds(date: str) -> tuple[datetime.date, datetime.date]:
    """Bounds of a proposed date, windows included (the editor may have rewritten it)."""
    return bounds_of(date)


_ = _RANK  # documentation of the precision order used by _precision
