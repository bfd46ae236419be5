"""Draw a family pedigree as SVG with the standard symbols.

Conventions: square = male, circle = female, diamond = sex unknown; shaded = typed (a sample or
a profile exists); the missing person is drawn in red with the proband arrow and the slash of a
deceased person; connecting persons the builder created (not recorded) have a dashed outline and
no name. Generations are rows (oldest on top); a couple is joined by a horizontal line; a
sibship hangs from a bar under its parents' line.

Layout: a small layered algorithm. Persons are ordered in each generation by the position of
their parents (siblings kept together, in-laws next to their partner) and placed on a grid;
then alternately children are centred under their parents and parents over their children,
moving things only to the right so nothing ever overlaps.

Pure function of the pedigree: no I/O, text escaped, output deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

from dnacase.domain.family import FamilyPedigree, PedigreeNode
from dnacase.domain.relationships import BY_CODE, N_

UNIT = 120.0  # px between neighbouring persons
ROW = 130.0  # px between generations
SIZE = 36.0  # symbol size in px
MARGIN = 40.0
GAP = 0.35  # extra units between sibship groups
NAME_CHARS = 22

LEGEND = (
    ("male", N_("male")),
    ("female", N_("female")),
    ("unknown", N_("sex unknown")),
    ("typed", N_("DNA sample or profile")),
    ("missing", N_("missing person")),
    ("placeholder", N_("connecting person (not recorded)")),
)


_ROLE_OF = {"father": N_("father of %(name)s"), "mother": N_("mother of %(name)s")}


def _shorten(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Layout:
    def __init__(self, ped: FamilyPedigree) -> None:
        self.ped = ped
        self.nodes = {n.id: n for n in ped.nodes}
        self.index = {n.id: i for i, n in enumerate(ped.nodes)}
        self.couples = ped.couples()
        self.partners: dict[str, list[str]] = {n.id: [] for n in ped.nodes}
        for f, m in self.couples:
            self.partners[f].append(m)
            self.partners[m].append(f)
        gens = sorted({n.generation for n in ped.nodes})
        self.rows: dict[int, list[str]] = {g: [] for g in gens}
        self.blocks: dict[int, list[list[str]]] = {g: [] for g in gens}
        self.pos: dict[str, float] = {}
        self.order(gens)
        for _ in range(2):
            self.top_down(gens, centre=True)
            self.bottom_up(gens)
        self.top_down(gens, centre=False)
        low = min(self.pos.values())
        for node_id in self.pos:
            self.pos[node_id] -= low

    def parents(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        return [p for p in (node.father, node.mother) if p is not None and p in self.nodes]

    def attach(
        self, seq: list[list[str]], person: str, placed: set[str], generation: int
    ) -> None:
        """Append a block: *person* with the partners that have no parents of their own."""
        loose = [
            p for p in self.partners[person]
            if p not in placed and not self.parents(p) and self.nodes[p].generation == generation
        ]
        left: list[str] = []
        right: list[str] = []
        for i, partner in enumerate(loose):
            conventional_right = self.nodes[person].sex != "F"
            (right if (i % 2 == 0) == conventional_right else left).append(partner)
        for p in (*left, person, *right):
            placed.add(p)
        seq.append([*left, person, *right])

    def order(self, gens: list[int]) -> None:
        placed: set[str] = set()
        for g in gens:
            members = [n.id for n in self.ped.nodes if n.generation == g]
            rooted = [i for i in members if self.parents(i)]

            def key(node_id: str) -> tuple[float, int]:
                ps = self.parents(node_id)
                return (sum(self.pos.get(p, 0.0) for p in ps) / len(ps), self.index[node_id])

            seq: list[list[str]] = []
            for person in sorted(rooted, key=key):
                if person not in placed:
                    self.attach(seq, person, placed, g)
            for person in members:  # founders and in-laws not yet beside a partner
                if person not in placed:
                    self.attach(seq, person, placed, g)
            self.blocks[g] = seq
            self.rows[g] = [node_id for block in seq for node_id in block]
            for i, node_id in enumerate(self.rows[g]):
                self.pos[node_id] = float(i)

    def groups(self, g: int) -> list[list[str]]:
        """Split a row into groups: blocks whose persons are siblings (same parents) together."""
        out: list[list[str]] = []
        last: tuple[str, ...] | None = None
        for block in self.blocks[g]:
            rooted = [n for n in block if self.parents(n)]
            ps = tuple(self.parents(rooted[0])) if rooted else None
            if out and ps is not None and ps == last:
                out[-1].extend(block)
            else:
                out.append(list(block))
            last = ps
        return out

    def top_down(self, gens: list[int], *, centre: bool) -> None:
        """Place each row left to right; with *centre*, sibships go under their parents."""
        for g in gens:
            cursor = 0.0
            for group in self.groups(g):
                sibs = [i for i, n in enumerate(group) if self.parents(n)]
                start = cursor
                if sibs and centre:
                    ps = self.parents(group[sibs[0]])
                    centre = sum(self.pos[p] for p in ps) / len(ps)
                    start = max(start, centre - sum(sibs) / len(sibs))
                for i, node_id in enumerate(group):
                    x = max(cursor, self.pos[node_id], start + i)
                    self.pos[node_id] = x
                    cursor = x + 1.0
                cursor += GAP
            row = self.rows[g]
            for left, right in reversed(list(pairwise(row))):
                if not self.parents(left) and right in self.partners[left]:
                    self.pos[left] = max(self.pos[left], self.pos[right] - 1.0)

    def bottom_up(self, gens: list[int]) -> None:
        for g in reversed(gens[:-1]):
            row = self.rows[g]
            for f, m in self.couples:
                if f not in row or m not in row:
                    continue
                kids = [n.id for n in self.ped.nodes if n.father == f and n.mother == m]
                if not kids:
                    continue
                want = sum(self.pos[k] for k in kids) / len(kids)
                have = (self.pos[f] + self.pos[m]) / 2
                if want > have + 1e-9:
                    first = min(row.index(f), row.index(m))
                    for node_id in row[first:]:
                        self.pos[node_id] += want - have


def _legend_step(caption: str) -> float:
    """Horizontal space (px) one legend entry takes: symbol, gap and its caption."""
    return 34 + 6.2 * len(caption)


def _symbol(node: PedigreeNode, x: float, y: float, size: float = SIZE) -> str:
    half = size / 2
    if node.missing:
        fill, stroke, width = "#fde0dc", "#c62828", 3
    elif node.typed:
        fill, stroke, width = "#9e9e9e", "#212121", 2
    else:
        fill, stroke, width = "#ffffff", "#212121", 2
    dash = ' stroke-dasharray="4 3"' if node.placeholder else ""
    style = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}'
    if node.sex == "M":
        shape = (
            f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{size}" height="{size}" '
            f"{style}/>"
        )
    elif node.sex == "F":
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{half}" {style}/>'
    else:
        pts = (
            f"{x:.1f},{y - half:.1f} {x + half:.1f},{y:.1f} "
            f"{x:.1f},{y + half:.1f} {x - half:.1f},{y:.1f}"
        )
        shape = f'<polygon points="{pts}" {style}/>'
    if node.missing:
        shape += (
            f'<line x1="{x - half - 4:.1f}" y1="{y + half + 4:.1f}" x2="{x + half + 4:.1f}" '
            f'y2="{y - half - 4:.1f}" stroke="#c62828" stroke-width="2"/>'
            f'<path d="M{x - half - 30:.1f},{y + half - 2:.1f} L{x - half - 8:.1f},'
            f'{y + 4:.1f}" stroke="#c62828" stroke-width="2" marker-end="url(#arrow)"/>'
        )
    return shape


def draw_pedigree_svg(
    pedigree: FamilyPedigree,
    *,
    translate: Callable[[str], str] = lambda s: s,
    title: str | None = None,
    legend: bool = True,
) -> str:
    """Return an SVG document (a string) drawing *pedigree*.

    *translate* maps the English message ids of relationship labels and legend entries to the
    user's language (pass the request's gettext). *title* becomes the accessible title.
    Each person is a ``<g class="person ...">`` with ``data-id`` set to the pedigree node id.
    """
    layout = _Layout(pedigree)
    gens = sorted(layout.rows)
    top = gens[0]
    xs = layout.pos

    def cx(node_id: str) -> float:
        return MARGIN + SIZE + xs[node_id] * UNIT

    def cy(node_id: str) -> float:
        return MARGIN + SIZE / 2 + (layout.nodes[node_id].generation - top) * ROW

    width = MARGIN * 2 + SIZE * 2 + max(xs.values()) * UNIT + UNIT / 2
    if legend:  # the legend is one row: the drawing is at least as wide as it
        width = max(width, MARGIN * 2 + sum(_legend_step(translate(t)) for _, t in LEGEND))
    height = MARGIN * 2 + (gens[-1] - top) * ROW + SIZE + 40 + (34 if legend else 0)
    label = title or translate("Family pedigree")
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pedigree" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f"aria-label={quoteattr(label)} "
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(label)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#c62828"/></marker></defs>',
        '<g class="lines" stroke="#212121" stroke-width="1.5" fill="none">',
    ]
    half = SIZE / 2
    levels: dict[tuple[str, str], int] = {}
    taken: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for f, m in layout.couples:
        kids = [n.id for n in pedigree.nodes if n.father == f and n.mother == m]
        if not kids or f not in xs or m not in xs:
            continue
        span = [xs[k] for k in kids] + [(xs[f] + xs[m]) / 2]
        lo, hi = min(span) - 0.2, max(span) + 0.2
        gen = layout.nodes[kids[0]].generation
        level = 0
        while any(a < hi and lo < b for a, b in taken.get((gen, level), [])):
            level += 1
        taken.setdefault((gen, level), []).append((lo, hi))
        levels[(f, m)] = level
    for f, m in layout.couples:
        if f not in xs or m not in xs:
            continue
        y = cy(f)
        left, right = sorted((cx(f), cx(m)))
        parts.append(
            f'<line class="couple" x1="{left + half:.1f}" y1="{y:.1f}" x2="{right - half:.1f}" '
            f'y2="{y:.1f}"/>'
        )
        kids = [n.id for n in pedigree.nodes if n.father == f and n.mother == m]
        if not kids:
            continue
        mid = (left + right) / 2
        bar = cy(kids[0]) - half - 22 - 9 * levels.get((f, m), 0)
        kid_xs = [cx(k) for k in kids]
        parts.append(
            f'<line class="descent" x1="{mid:.1f}" y1="{y:.1f}" x2="{mid:.1f}" y2="{bar:.1f}"/>'
        )
        lo, hi = min([*kid_xs, mid]), max([*kid_xs, mid])
        parts.append(
            f'<line class="sibship" x1="{lo:.1f}" y1="{bar:.1f}" x2="{hi:.1f}" y2="{bar:.1f}"/>'
        )
        for k, kx in zip(kids, kid_xs, strict=True):
            parts.append(
                f'<line class="child" x1="{kx:.1f}" y1="{bar:.1f}" x2="{kx:.1f}" '
                f'y2="{cy(k) - half:.1f}"/>'
            )
    parts.append("</g>")

    for node in pedigree.nodes:
        x, y = cx(node.id), cy(node.id)
        sex_class = {"M": "male", "F": "female"}.get(node.sex, "unknown")
        classes = ["person", sex_class]
        classes += [c for c, on in (("missing", node.missing), ("typed", node.typed),
                                    ("placeholder", node.placeholder)) if on]
        parts.append(f'<g class="{" ".join(classes)}" data-id={quoteattr(node.id)}>')
        tooltip = node.name
        if node.placeholder:
            role, _, child = node.id.partition("-of:")
            template = _ROLE_OF.get(role)
            child_name = layout.nodes[child].name if child in layout.nodes else ""
            tooltip = translate(template) % {"name": child_name} if template else node.description
        parts.append(f"<title>{escape(tooltip)}</title>")
        parts.append(_symbol(node, x, y))
        lines: list[str] = []
        if node.missing:
            lines = [node.name, translate("missing person")]
        elif node.placeholder:
            lines = []
        else:
            rel = BY_CODE.get(node.relationship or "")
            lines = [node.name, translate(rel.label) if rel else ""]
        for i, text in enumerate(t for t in lines if t):
            weight = ' font-weight="bold"' if i == 0 else ""
            colour = "#c62828" if node.missing else "#212121"
            parts.append(
                f'<text x="{x:.1f}" y="{y + half + 14 + i * 13:.1f}" text-anchor="middle" '
                f'fill="{colour}"{weight}>{escape(_shorten(text))}</text>'
            )
        parts.append("</g>")

    if legend:
        ly = height - 22
        lx = MARGIN
        parts.append('<g class="legend">')
        for kind, text in LEGEND:
            sample = PedigreeNode(
                id=kind, generation=0,
                sex={"male": "M", "female": "F"}.get(kind, "U" if kind == "unknown" else "M"),
                typed=kind == "typed", placeholder=kind == "placeholder",
            )
            if kind == "missing":
                colour = "#c62828"
                parts.append(
                    f'<rect x="{lx:.1f}" y="{ly - 7:.1f}" width="14" height="14" fill="#fde0dc" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
            else:
                parts.append(_symbol(sample, lx + 7, ly, 14.0))
            caption = translate(text)
            parts.append(
                f'<text x="{lx + 20:.1f}" y="{ly + 4:.1f}">{escape(caption)}</text>'
            )
            lx += _legend_step(caption)
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
