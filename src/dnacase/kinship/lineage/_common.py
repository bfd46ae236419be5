"""Shared vocabulary of the lineage-marker modules: the three-way classification and errors."""

from __future__ import annotations

from enum import StrEnum


class LineageClass(StrEnum):
    """Outcome of comparing two lineage haplotypes (mtDNA or Y-STR).

    The wording follows the SWGDAM interpretation guidelines: a comparison never "includes",
    it either cannot exclude a common lineage, is inconclusive, or excludes it.
    """

    CANNOT_EXCLUDE = "cannot exclude"
    INCONCLUSIVE = "inconclusive"
    EXCLUDED = "excluded"


class LineageDataError(ValueError):
    """Bad lineage-marker input. The message names the sample and the variant or locus.

    Attributes ``sample``, ``item`` (variant or locus) and ``source`` (file and line, when the
    caller knows them) are kept for programmatic use; ``code`` and ``params`` (when given)
    name the problem for a translated message (see :data:`.mtnotation.ERROR_CODES`).
    """

    def __init__(
        self,
        message: str,
        *,
        sample: str | None = None,
        item: str | None = None,
        source: str | None = None,
        code: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        parts = []
        if source:
            parts.append(source)
        if sample:
            parts.append(f"sample {sample!r}")
        if item:
            parts.append(f"{item!r}")
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.sample = sample
        self.item = item
        self.source = source
        self.code = code
        self.params = dict(params or {})
        self.message = message
