"""The proposer measured against the curated seed: recall, exact EDTF rate, precision.

A seed development is *found* when a proposal on the same text has a quote overlapping one of
the development's quotes (character offsets, whitespace ignored to locate the seed's quote) and
date bounds overlapping the development's. *Exact* counts the found ones whose matching
proposal wrote the very same EDTF. *Precision* is the share of proposals that match at least one
seed development.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from timeline import dates
from timeline.proposals.proposer import Proposal


@dataclass
class FileScore:
    file: str
    published: str
    seed: int = 0
    found: int = 0
    exact: int = 0
    proposals: int = 0
    matching_proposals: int = 0


@dataclass
class Score:
    files: list[FileScore] = field(default_factory=list)
    seed: int = 0
    found: int = 0
    exact: int = 0
    proposals: int = 0
    matching_proposals: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.seed if self.seed else 0.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.found if self.found else 0.0

    @property
    def precision(self) -> float:
        return self.matching_proposals / self.proposals if self.proposals else 0.0

    def table(self) -> str:
        lines = [
            f"{'text':<28} {'published':<11} {'seed':>5} {'found':>6} {'exact':>6} "
            f"{'proposed':>9} {'matching':>9}"
        ]
        for f in self.files:
            lines.append(
                f"{f.file:<28} {f.published or '—':<11} {f.seed:>5} {f.found:>6} {f.exact:>6} "
                f"{f.proposals:>9} {f.matching_proposals:>9}"
            )
        lines.append(
            f"{'all':<28} {'':<11} {self.seed:>5} {self.found:>6} {self.exact:>6} "
            f"{self.proposals:>9} {self.matching_proposals:>9}"
        )
        lines.append("")
        lines.append(f"recall     {self.recall:.2f}  ({self.found}/{self.seed}; goal ≥ 0.80)")
        lines.append(
            f"exact EDTF {self.exact_rate:.2f}  "
            f"({self.exact}/{self.found} of those found; goal ≥ 0.70)"
        )
        lines.append(
            f"precision  {self.precision:.2f}  "
            f"({self.matching_proposals}/{self.proposals}; goal ≥ 0.60)"
        )
        return "\n".join(lines)


_IGNORED = frozenset("*#_")  # Markdown marks the seed's quotes leave out


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) of `quote` in `text`, comparing without whitespace or Markdown marks."""
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace() and c not in _IGNORED]
    squeezed = "".join(c for _, c in kept)
    needle = "".join(c for c in quote if not c.isspace() and c not in _IGNORED)
    if not needle:
        return None
    at = squeezed.find(needle)
    if at < 0:
        return None
    return kept[at][0], kept[at + len(needle) - 1][0] + 1


def _overlap(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _dates_overlap(a: tuple[datetime.date, datetime.date], b: tuple[Any, Any]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def evaluate(
    *,
    developments: Iterable[dict[str, Any]],
    texts: dict[str, str],
    published: dict[str, str],
    run: Callable[[str, str | None], list[Proposal]],
) -> Score:
    """Run the proposer on each text and score it against the seed's developments.

    `developments` are the seed's entries (date, sources with file and quote); `published` the
    publication date of each file as the seed gives it (EDTF; empty when the text is undated).
    """
    by_file: dict[str, list[Proposal]] = {
        name: run(text, published.get(name) or None) for name, text in texts.items()
    }
    score = Score()
    files = {name: FileScore(name, published.get(name, "")) for name in texts}
    matched: set[tuple[str, int]] = set()
    for development in developments:
        bounds = dates.bounds(development["date"])
        found = exact = False
        counted: set[str] = set()
        for source in development.get("sources", []):
            name = source.get("file")
            if name not in texts:
                continue
            if name not in counted:
                files[name].seed += 1
                counted.add(name)
            where = locate(texts[name], source.get("quote", ""))
            if where is None:
                continue
            for index, proposal in enumerate(by_file[name]):
                if not _overlap((proposal.start, proposal.end), where):
                    continue
                if proposal.lower is None or proposal.upper is None:
                    continue
                if not _dates_overlap((proposal.lower, proposal.upper), bounds):
                    continue
                matched.add((name, index))
                if not found:
                    files[name].found += 1
                found = True
                if proposal.date == development["date"]:
                    if not exact:
                        files[name].exact += 1
                    exact = True
        if counted:
            score.seed += 1
            score.found += found
            score.exact += exact
    for name, proposals in by_file.items():
        files[name].proposals = len(proposals)
        files[name].matching_proposals = sum(
            1 for i in range(len(proposals)) if (name, i) in matched
        )
    score.files = [files[name] for name in texts]
    score.proposals = sum(f.proposals for f in score.files)
    score.matching_proposals = sum(f.matching_proposals for f in score.files)
    return score
