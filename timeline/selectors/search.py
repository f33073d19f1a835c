"""Search as readers type: no case, no accents, aliases (EPCA = APCR = APCE, Tokayev =
Tokaïev), French stems on PostgreSQL and plural endings on SQLite, and a typo-tolerant
fallback when the words themselves find nothing (pg_trgm on PostgreSQL, difflib over the
words of the texts on SQLite).

The projection stores each development's folded words in `search_text`
(timeline.projections); the query is folded the same way (timeline.words)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from timeline import words
from timeline.models import Actor, Development, SearchAlias, Topic

# pg_trgm word similarity from which a word counts as the one the reader mistyped.
TRIGRAM_THRESHOLD = 0.5
# difflib ratio for the same on SQLite.
CLOSE_RATIO = 0.75


@dataclass(frozen=True)
class SearchPlan:
    """What a query asked for: its word groups with their aliases, and the words the typo
    fallback stood in for (empty when the words matched as typed)."""

    groups: list[words.Group]
    fuzzy: tuple[str, ...] = field(default=())


# The three tables in one statement (every search reads them: one round trip, not three),
# each in its model's order: topics by (position, slug), actors by name, aliases by id.
_ALIASES_SQL = f"""
    SELECT 0, position, slug, name_fr, name_en, aliases FROM {Topic._meta.db_table}
    UNION ALL
    SELECT 1, 0, name, name, '', aliases FROM {Actor._meta.db_table} WHERE aliases <> ''
    UNION ALL
    SELECT 2, id, '', '', '', terms FROM {SearchAlias._meta.db_table}
    ORDER BY 1, 2, 3
"""


def alias_groups() -> list[list[str]]:
    """Every set of names searched as one: a topic's names and aliases, an actor's name and
    aliases, and the editors' other aliases (places)."""
    with connection.cursor() as cursor:
        cursor.execute(_ALIASES_SQL)
        rows = cursor.fetchall()
    # A topic is also found by both its names, an actor by its name; an alias has none.
    names_kept = {0: 2, 1: 1, 2: 0}
    return [
        [*(first, second)[: names_kept[table]], *words.split_aliases(aliases)]
        for table, _, _, first, second, aliases in rows
    ]


def search_plan(q: str) -> SearchPlan:
    """The reader's query, parsed into groups of alternatives."""
    return SearchPlan(groups=words.parse_query(q, alias_groups()))


def _postgres_match(groups: Sequence[words.Group]):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    # The same expression as the GIN index of migration 0010, so the index serves it.
    vector = SearchVector("search_text", config="kz_french")
    query = SearchQuery(words.pg_tsquery(groups), config="kz_french", search_type="raw")
    return vector, query, SearchRank(vector, query)


def _sqlite_condition(groups: Sequence[words.Group]) -> Q:
    condition = Q()
    for group in groups:
        any_of = Q()
        for phrase in group.alternatives:
            any_of |= Q(padded_search__contains=words.sqlite_pattern(phrase))
        condition &= any_of
    return condition


def _padded(qs: QuerySet[Development]) -> QuerySet[Development]:
    return qs.annotate(padded_search=Concat(Value(" "), F("search_text"), output_field=TextField()))


def _matching(
    qs: QuerySet[Development], groups: Sequence[words.Group], ranked: bool = True
) -> QuerySet[Development]:
    if connection.vendor == "postgresql":
        vector, query, rank = _postgres_match(groups)
        if not ranked:
            # Filtered on, not selected: computing the vector again for each row shown
            # was most of a date-ordered page's query.
            return qs.alias(search=vector).filter(search=query)
        return qs.annotate(search=vector, search_rank=rank).filter(search=query)
    return _padded(qs).filter(_sqlite_condition(groups))


def _postgres_fuzzy(
    qs: QuerySet[Development], groups: Sequence[words.Group], ranked: bool = True
) -> QuerySet[Development]:
    """Each group matches as typed, or one word of the text is close to it (pg_trgm)."""
    from django.contrib.postgres.search import TrigramWordSimilarity

    vector, _, _ = _postgres_match(groups)
    qs = qs.alias(search=vector)
    similarity: Any = None
    for i, group in enumerate(groups):
        _, query, _ = _postgres_match([group])
        name = f"similarity_{i}"
        qs = qs.alias(**{name: TrigramWordSimilarity(" ".join(group.typed), "search_text")})
        qs = qs.filter(Q(search=query) | Q(**{f"{name}__gte": TRIGRAM_THRESHOLD}))
        similarity = F(name) if similarity is None else similarity + F(name)
    return qs.annotate(search_rank=similarity) if ranked else qs


def _sqlite_fuzzy(
    qs: QuerySet[Development], groups: Sequence[words.Group]
) -> tuple[list[words.Group], tuple[str, ...]] | None:
    """The groups with each unmatched word replaced by the text's words closest to it."""
    texts = list(qs.values_list("search_text", flat=True))
    vocabulary = {w for text in texts for w in text.split()}
    fixed: list[words.Group] = []
    fuzzy: list[str] = []
    for group in groups:
        if any(words.contains(t, p) for t in texts for p in group.alternatives):
            fixed.append(group)
            continue
        if len(group.typed) != 1:
            return None
        close = words.close_words(group.typed[0], vocabulary, CLOSE_RATIO)
        if not close:
            return None
        fuzzy += close
        fixed.append(words.Group(typed=group.typed, alternatives=tuple((w,) for w in close)))
    return fixed, tuple(fuzzy)


def search_filter(
    qs: QuerySet[Development], plan: SearchPlan, *, ranked: bool = True
) -> tuple[QuerySet[Development], SearchPlan]:
    """The developments the query finds, with `search_rank` annotated on PostgreSQL unless
    not `ranked` (pages in date order); when the words find nothing, those the typo
    fallback finds (and the plan says so)."""
    if not plan.groups:
        return qs.none(), plan
    found = _matching(qs, plan.groups, ranked)
    if found.exists():
        return found, plan
    if connection.vendor == "postgresql":
        fuzzy = _postgres_fuzzy(qs, plan.groups, ranked)
        typed = tuple(" ".join(g.typed) for g in plan.groups)
        return fuzzy, SearchPlan(groups=plan.groups, fuzzy=typed)
    corrected = _sqlite_fuzzy(qs, plan.groups)
    if corrected is None:
        return qs.none(), plan
    groups, close = corrected
    return _matching(qs, groups, ranked), SearchPlan(groups=groups, fuzzy=close)


def rank(development: Development, plan: SearchPlan) -> float:
    """How well a found development answers the query (higher first)."""
    found = getattr(development, "search_rank", None)
    if found is not None:
        return float(found)
    return float(words.score(development.search_text, development.title, plan.groups))


def snippet(development: Development, plan: SearchPlan) -> list[words.Segment]:
    """The summary (or the title) around the first match, matching words marked."""
    for text in (development.summary, development.title):
        segments = words.snippet(text, plan.groups, fuzzy=plan.fuzzy)
        if any(s.mark for s in segments):
            return segments
    return words.snippet(development.summary or development.title, plan.groups)
