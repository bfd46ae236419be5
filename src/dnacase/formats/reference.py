"""Shipped reference data: locus names, kit definitions, core locus sets, mutation rates.

Data files live in ``dnacase/data/reference/`` (package data, each with its source/licence
header). Everything here is read once and cached; the returned objects are immutable.

Locus names are normalised with :func:`canonical_locus`: a name matches a canonical name or a
listed alias case-insensitively after removing spaces, ``_``, ``-`` and ``.``
(``PENTA_D`` -> ``Penta D``, ``VWA`` -> ``vWA``, ``AMEL`` -> ``Amelogenin``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

MarkerType = Literal["autosomal_STR", "Y_STR", "Y_indel", "sex", "quality_sensor", "unknown"]

#: Y-STR markers typed as two (or more) copies and reported as an unordered set of values.
MULTI_COPY_Y = frozenset({"DYS385", "DYF387S1", "DYS464", "DYF403S1", "DYF404S1", "DYS459",
                          "DYS527", "DYS526"})

_KEY_RE = re.compile(r"[\s_\-.]+")


def locus_key(name: str) -> str:
    """Matching key of a locus name: case-folded, spaces, ``_``, ``-`` and ``.`` removed."""
    return _KEY_RE.sub("", name).casefold()


def read_reference_bytes(relpath: str) -> bytes:
    """Raw bytes of a shipped reference file, e.g. ``"frequencies/nist1036_asian.csv"``."""
    return (resources.files("dnacase") / "data" / "reference" / relpath).read_bytes()


def read_commented_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Split a CSV with leading/embedded ``#`` comment lines into (comments, rows)."""
    comments: list[str] = []
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif line.strip():
            body.append(line)
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    return comments, rows


@dataclass(frozen=True, slots=True)
class KitMarker:
    """One marker of a kit: canonical locus, the kit's own spelling, type and dye colour."""

    locus: str
    kit_name: str
    marker_type: MarkerType
    dye: str


@dataclass(frozen=True, slots=True)
class Kit:
    """A typing kit: which loci it types (so an absent locus is "not typed", not "null")."""

    name: str
    manufacturer: str
    markers: tuple[KitMarker, ...]
    verified: bool = True
    _by_locus: dict[str, KitMarker] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_locus", {m.locus: m for m in self.markers})

    @property
    def loci(self) -> tuple[str, ...]:
        return tuple(m.locus for m in self.markers)

    @property
    def autosomal_loci(self) -> tuple[str, ...]:
        return tuple(m.locus for m in self.markers if m.marker_type == "autosomal_STR")

    @property
    def y_loci(self) -> tuple[str, ...]:
        return tuple(m.locus for m in self.markers if m.marker_type in ("Y_STR", "Y_indel"))

    @property
    def is_y_kit(self) -> bool:
        """True for Y-STR kits (no autosomal marker)."""
        return not self.autosomal_loci and bool(self.y_loci)

    def types(self, locus: str) -> bool:
        return locus in self._by_locus

    def marker(self, locus: str) -> KitMarker | None:
        return self._by_locus.get(locus)


@dataclass(frozen=True, slots=True)
class MutationRateTable:
    """Per-locus mutation rates per meiosis (autosomal, sexes pooled) or per father-son
    transmission (Y-STR). ``counts`` holds (mutations, meioses) when the source gives them."""

    kind: Literal["autosomal", "ystr"]
    rates: Mapping[str, float]
    sources: Mapping[str, str]
    counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    header: tuple[str, ...] = ()

    def rate(self, locus: str) -> float | None:
        """Rate for ``locus``; a multi-copy Y marker (``DYS385``) uses its copy ``a`` rate."""
        if locus in self.rates:
            return self.rates[locus]
        return self.rates.get(locus + "a")


@dataclass(frozen=True, slots=True)
class Reference:
    """Locus names, kit definitions and marker types used to validate incoming files."""

    canonical: Mapping[str, str]  # locus_key -> canonical name
    marker_types: Mapping[str, MarkerType]  # canonical -> type
    kits: Mapping[str, Kit]
    core_sets: Mapping[str, tuple[str, ...]]

    def canonical_locus(self, name: str) -> str | None:
        """Canonical spelling of ``name`` or ``None`` when the locus is unknown."""
        return self.canonical.get(locus_key(name))

    def marker_type(self, locus: str) -> MarkerType:
        """Marker type of a canonical locus (``"unknown"`` when not in any table)."""
        t = self.marker_types.get(locus)
        if t:
            return t
        return _guess_type(locus)

    def find_kit(self, name: str) -> Kit | None:
        """Kit by name or by a GeneMapper panel name (``GlobalFiler_Panel_v1X``)."""
        return _match_kit(self.kits, name)

    @property
    def loci(self) -> frozenset[str]:
        return frozenset(self.canonical.values())


def _guess_type(locus: str) -> MarkerType:
    up = locus.upper()
    if up.startswith(("DYS", "DYF", "YGATA")):
        return "Y_STR"
    if up == "AMELOGENIN":
        return "sex"
    if up == "YINDEL":
        return "Y_indel"
    return "unknown"


_KIT_SUFFIX_RE = re.compile(r"(?:panels?|bins?|v\d+[a-z0-9]*|hs|x|kit)*")


def _kit_keys(name: str) -> set[str]:
    keys = {locus_key(name)}
    plain = re.sub(r"[()!]", "", name)
    keys.add(locus_key(plain))
    if "/" in name:  # "Investigator 24plex QS / GO!"
        head, _, tail = name.partition("/")
        base = head.strip().rsplit(" ", 1)[0]
        keys.update({locus_key(head), locus_key(base), locus_key(base + " " + tail.strip(" !"))})
    m = re.match(r"(.*)\((\w+)\)$", name)
    if m:  # "PowerPlex Fusion (5C)" -> also "PowerPlex Fusion 5C" and "PowerPlex Fusion"
        keys.update({locus_key(m.group(1)), locus_key(m.group(1) + m.group(2))})
    return {k for k in keys if k}


def _match_kit(kits: Mapping[str, Kit], name: str) -> Kit | None:
    key = locus_key(re.sub(r"[()!/]", "", name))
    if not key:
        return None
    best: tuple[int, Kit] | None = None
    for kit in kits.values():
        for k in _kit_keys(kit.name):
            if key == k:
                return kit
            if key.startswith(k) and _KIT_SUFFIX_RE.fullmatch(key[len(k):]) is not None and (
                best is None or len(k) > best[0]
            ):
                best = (len(k), kit)
    return best[1] if best else None


def _frequency_loci() -> set[str]:
    loci: set[str] = set()
    root = resources.files("dnacase") / "data" / "reference" / "frequencies"
    for entry in root.iterdir():
        if entry.name.endswith(".csv") and entry.name != "index.csv":
            for line in entry.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#") and not line.startswith("locus,"):
                    loci.add(line.split(",", 1)[0])
    return loci


@cache
def default_reference() -> Reference:
    """The reference built from the shipped data (cached; immutable)."""
    canonical: dict[str, str] = {}
    types: dict[str, MarkerType] = {}

    def add(name: str, canon: str) -> None:
        key = locus_key(name)
        if key and key not in canonical:
            canonical[key] = canon

    _, alias_rows = read_commented_csv(read_reference_bytes("locus_aliases.csv").decode())
    for row in alias_rows:
        canon = row["canonical"].strip()
        add(canon, canon)
        for alias in (row.get("aliases") or "").split(";"):
            if alias.strip():
                add(alias.strip(), canon)
    kits = load_kits()
    for kit in kits.values():
        for m in kit.markers:
            add(m.locus, m.locus)
            add(m.kit_name, m.locus)
            types.setdefault(m.locus, m.marker_type)
    for locus in sorted(_frequency_loci()):
        add(locus, locus)
        types.setdefault(locus, "autosomal_STR")
    for marker in load_mutation_rates("ystr").rates:
        base = marker[:-1]
        if marker[-1] in "ab" and base in MULTI_COPY_Y:
            add(marker, base)  # DYS385a / DYS385b columns are copies of DYS385
            marker = base
        add(marker, marker)
        types.setdefault(marker, "Y_STR")
    for canon in set(canonical.values()):
        types.setdefault(canon, _guess_type(canon))
    return Reference(canonical, types, kits, load_core_locus_sets())


@cache
def load_kits() -> dict[str, Kit]:
    """Kit definitions from ``kit_marker_sets.csv``, keyed by kit name, markers in panel order."""
    _, rows = read_commented_csv(read_reference_bytes("kit_marker_sets.csv").decode())
    markers: dict[str, list[KitMarker]] = {}
    meta: dict[str, tuple[str, bool]] = {}
    for row in rows:
        kit = row["kit"].strip()
        mtype = row["marker_type"].strip()
        if mtype not in ("autosomal_STR", "Y_STR", "Y_indel", "sex", "quality_sensor"):
            mtype = "unknown"
        markers.setdefault(kit, []).append(
            KitMarker(row["canonical_marker"].strip(), row["kit_marker_name"].strip(),
                      mtype, row["dye"].strip())  # type: ignore[arg-type]
        )
        verified = "UNVERIFIED" not in (row.get("status") or "").upper()
        prev = meta.get(kit, (row["manufacturer"].strip(), True))
        meta[kit] = (prev[0], prev[1] and verified)
    return {k: Kit(k, meta[k][0], tuple(v), meta[k][1]) for k, v in markers.items()}


@cache
def load_core_locus_sets() -> dict[str, tuple[str, ...]]:
    """Named locus sets (``CODIS_core_20``, ``ESS_12``, ``common_extra``)."""
    _, rows = read_commented_csv(read_reference_bytes("core_locus_sets.csv").decode())
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row["set"].strip(), []).append(row["locus"].strip())
    return {k: tuple(v) for k, v in out.items()}


@cache
def load_mutation_rates(kind: Literal["autosomal", "ystr"] = "autosomal") -> MutationRateTable:
    """Shipped mutation-rate table.

    ``autosomal``: working-default rates per meiosis, sexes pooled (NOT authoritative; see the
    file header). ``ystr``: YHRD father-son rates with their mutation and meiosis counts.
    """
    if kind == "autosomal":
        comments, rows = read_commented_csv(
            read_reference_bytes("mutation_rates_autosomal.csv").decode())
        rates = {r["locus"].strip(): float(r["rate"]) for r in rows}
        sources = {r["locus"].strip(): r.get("source", "") for r in rows}
        return MutationRateTable("autosomal", rates, sources, {}, tuple(comments))
    if kind == "ystr":
        comments, rows = read_commented_csv(
            read_reference_bytes("mutation_rates_ystr_yhrd.csv").decode())
        rates = {r["marker"].strip(): float(r["rate"]) for r in rows}
        sources = {r["marker"].strip(): r.get("source", "") for r in rows}
        counts = {r["marker"].strip(): (int(r["mutations"]), int(r["meioses"])) for r in rows}
        return MutationRateTable("ystr", rates, sources, counts, tuple(comments))
    raise ValueError(f"unknown mutation-rate table {kind!r}; use 'autosomal' or 'ystr'")


def load_mutation_rate_observations() -> list[dict[str, str]]:
    """Published per-locus observations behind the autosomal defaults (rows as dicts)."""
    _, rows = read_commented_csv(
        read_reference_bytes("mutation_rates_autosomal_observations.csv").decode())
    return rows


def canonical_locus(name: str) -> str | None:
    """Canonical locus name for ``name`` using the shipped aliases and kits; ``None`` if unknown.

    >>> canonical_locus("PENTA_D")
    'Penta D'
    """
    return default_reference().canonical_locus(name)


def find_kit(name: str) -> Kit | None:
    """Shipped kit by name or GeneMapper panel name (``"GlobalFiler_Panel_v1X"``)."""
    return default_reference().find_kit(name)


def marker_type(locus: str) -> MarkerType:
    """Marker type of a canonical locus according to the shipped kits and tables."""
    return default_reference().marker_type(locus)


def loci_of(names: Iterable[str]) -> list[str | None]:
    """Vectorised :func:`canonical_locus`."""
    ref = default_reference()
    return [ref.canonical_locus(n) for n in names]
