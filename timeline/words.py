"""Words as readers type them: folded (no case, no accents), split, lightly stemmed, and
matched against aliases. Pure functions, shared by the projection (which stores the folded
search text) and the search selector (which folds the query the same way)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Letters that NFKD does not decompose into a base letter and a mark.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})

Phrase = tuple[str, ...]


class _Bare(dict):
    """What each character folds to, computed once per distinct character: its NFKD
    decomposition without the combining marks (a lone mark folds to nothing). Folding
    character by character equals folding the whole text, since NFKD decomposes each
    character on its own and only reorders marks, which are dropped anyway; the rebuild
    folds every development's text, and this spares it a per-character generator."""

    def __missing__(self, code: int) -> str:
        char = chr(code).translate(_LIGATURES)
        decomposed = unicodedata.normalize("NFKD", char)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = bare
        return bare


_BARE = _Bare()


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, words separated by one space."""
    text = text.lower()
    if not text.isascii():
        text = text.translate(_BARE)
    return _NOT_WORD.sub(" ", text).strip()


def tokens(text: str) -> Phrase:
    """The folded words of a text."""
    return tuple(fold(text).split())


def stem(word: str) -> str:
    """A folded word without its plural ending (visas → visa, nucleaires → nucleaire)."""
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def split_aliases(text: str) -> list[str]:
    """An editor's aliases field: one per line, or separated by semicolons or commas."""
    return [a.strip() for a in re.split(r"[\n;,]+", text or "") if a.strip()]


@dataclass(frozen=True)
class Group:
    """One thing the reader asked for, and every way of writing it (any one may match)."""

    typed: Phrase
    alternatives: tuple[Phrase, ...]


def parse_query(q: str, alias_groups: Iterable[Iterable[str]] = ()) -> list[Group]:
    """The query's words, each with its aliases. An alias of several words ("Nur-Sultan",
    "accord de partenariat renforcé") is recognised when the reader typed it whole."""
    index: dict[Phrase, set[Phrase]] = {}
    for group in alias_groups:
        phrases = {tokens(name) for name in group} - {()}
        for phrase in phrases:
            index.setdefault(phrase, set()).update(phrases)
    longest = max((len(p) for p in index), default=1)
    words = tokens(q)
    groups: list[Group] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = words[i : i + size]
            if phrase in index:
                alternatives = tuple(sorted(index[phrase], key=lambda p: (p != phrase, p)))
                groups.append(Group(typed=phrase, alternatives=alternatives))
                i += size
                break
        else:
            groups.append(Group(typed=(words[i],), alternatives=((words[i],),)))
            i += 1
    return groups


def contains(text: str, phrase: Phrase) -> bool:
    """Whether a folded text holds the phrase, its last word possibly plural or longer."""
    return f" {' '.join(phrase[:-1] + (stem(phrase[-1]),))}" in f" {text}"


def sqlite_pattern(phrase: Phrase) -> str:
    """The substring `contains` looks for, for a LIKE on a column stored as ' ' + text."""
    return " " + " ".join(phrase[:-1] + (stem(phrase[-1]),))


def pg_tsquery(groups: Sequence[Group]) -> str:
    """A to_tsquery text: every group must match, any alternative of it; the words of an
    alternative in sequence. Words are folded to [a-z0-9], so nothing else can slip in."""
    parts = []
    for group in groups:
        alternatives = [" <-> ".join(phrase) for phrase in group.alternatives]
        parts.append("(" + " | ".join(f"({a})" for a in alternatives) + ")")
    return " & ".join(parts)


def score(text: str, title: str, groups: Sequence[Group]) -> int:
    """A rank for backends without one: occurrences, with the title counting thrice."""
    total = 0
    padded, padded_title = f" {text}", f" {fold(title)}"
    for group in groups:
        for phrase in group.alternatives:
            needle = sqlite_pattern(phrase)
            total += padded.count(needle) + 2 * padded_title.count(needle)
    return total


def close_words(word: str, vocabulary: Iterable[str], cutoff: float = 0.75) -> list[str]:
    """The words of a vocabulary nearest to a mistyped one (at most three)."""
    return difflib.get_close_matches(word, list(vocabulary), n=3, cutoff=cutoff)


@dataclass(frozen=True)
class Segment:
    """A piece of a snippet; `mark` says whether it matched the query."""

    text: str
    mark: bool = False


_WORD = re.compile(r"\w+", re.UNICODE)


def _same_word(found: str, typed: str) -> bool:
    """A folded word of a text against a folded word of the query: the same but for a
    plural or a short ending (visa, visas; renforce, renforcee)."""
    found, typed = stem(found), stem(typed)
    return found == typed or (
        len(typed) >= 4 and found.startswith(typed) and len(found) - len(typed) <= 1
    )


def snippet(
    text: str, groups: Sequence[Group], *, fuzzy: Iterable[str] = (), width: int = 28
) -> list[Segment]:
    """Up to `width` words of the text around its first match, the matching words marked
    (every word of a matching phrase, in sequence).

    Plain text in, plain segments out: the template escapes them, so an editor's text can
    never become markup."""
    phrases = [phrase for g in groups for phrase in g.alternatives]
    fuzzy = [f for f in fuzzy if f]
    words = list(_WORD.finditer(text))
    if not words:
        return []
    folded = [fold(w.group()) for w in words]
    hits: set[int] = set()
    for phrase in phrases:
        size = len(phrase)
        for i in range(len(folded) - size + 1):
            if all(_same_word(folded[i + k], phrase[k]) for k in range(size)):
                hits.update(range(i, i + size))
    for i, word in enumerate(folded):
        if word and any(difflib.SequenceMatcher(None, word, f).ratio() >= 0.75 for f in fuzzy):
            hits.add(i)
    first = min(hits, default=0)
    start = max(0, first - width // 3)
    end = min(len(words), start + width)
    begin = words[start].start() if start > 0 else 0
    finish = words[end - 1].end() if end < len(words) else len(text)
    segments: list[Segment] = [Segment("… ")] if start > 0 else []
    cursor = begin
    for i in range(start, end):
        if i in hits:
            w = words[i]
            if w.start() > cursor:
                segments.append(Segment(text[cursor : w.start()]))
            segments.append(Segment(w.group(), mark=True))
            cursor = w.end()
    if finish > cursor:
        segments.append(Segment(text[cursor:finish]))
    if end < len(words):
        segments.append(Segment(" …"))
    return segments
