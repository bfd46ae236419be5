"""A set of rCRS positions: the range a haplotype was sequenced over."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._common import LineageDataError
from .mtalign import MT_LENGTH


@dataclass(frozen=True)
class MtRange:
    """A set of rCRS positions as sorted, disjoint, non-adjacent closed intervals.

    Parse with :meth:`parse`: ``"16024-16569;1-576"``, ``"16024-576"`` (wraps round the
    circular origin), ``"16024-16365 73-340"``, ``"16519"``. Separators ``;``, ``,`` or blanks.
    """

    intervals: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted(self.intervals):
            if not (1 <= a <= b <= MT_LENGTH):
                raise LineageDataError(f"range interval {a}-{b} is not within 1-{MT_LENGTH}")
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        object.__setattr__(self, "intervals", tuple(merged))

    @classmethod
    def parse(cls, text: str | MtRange) -> MtRange:
        if isinstance(text, MtRange):
            return text
        parts = [p for p in re.split(r"[;,\s]+", str(text).strip()) if p]
        if not parts:
            raise LineageDataError("empty mtDNA range", item=str(text))
        out: list[tuple[int, int]] = []
        for part in parts:
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m:
                raise LineageDataError("cannot read mtDNA range part", item=part)
            a = int(m.group(1))
            b = int(m.group(2)) if m.group(2) else a
            for v in (a, b):
                if not 1 <= v <= MT_LENGTH:
                    raise LineageDataError(f"position {v} outside 1-{MT_LENGTH}", item=part)
            if a <= b:
                out.append((a, b))
            else:  # wraps round the origin, e.g. 16024-576
                out.extend([(a, MT_LENGTH), (1, b)])
        return cls(tuple(out))

    @classmethod
    def full(cls) -> MtRange:
        return cls(((1, MT_LENGTH),))

    def __contains__(self, position: object) -> bool:
        if not isinstance(position, int):
            return False
        return any(a <= position <= b for a, b in self.intervals)

    def __len__(self) -> int:
        return sum(b - a + 1 for a, b in self.intervals)

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def intersection(self, other: MtRange) -> MtRange:
        out = []
        for a1, b1 in self.intervals:
            for a2, b2 in other.intervals:
                a, b = max(a1, a2), min(b1, b2)
                if a <= b:
                    out.append((a, b))
        return MtRange(tuple(out))

    __and__ = intersection

    def covers(self, other: MtRange) -> bool:
        """True when every position of ``other`` is in this range."""
        return len(self.intersection(other)) == len(other)

    def __str__(self) -> str:
        if not self.intervals:
            return "(empty)"
        return ";".join(f"{a}-{b}" if a != b else f"{a}" for a, b in self.intervals)
