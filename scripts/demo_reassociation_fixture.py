"""Write fixtures/demo/reassociation_globalfiler.csv: two bones of one man (synthetic).

The man is the demo's missing person LS-2023-0011 (Trần Đức Việt), whose three children are
typed (F11-R2, F11-R3, F11-R4). His genotype at each locus is drawn (fixed seed) from its
distribution given the children: ``P(G) prod_k P(child_k | father G, mother unknown)`` with
Hardy-Weinberg ``P(G)`` on NIST 1036 Asian (a father consistent with the children). Bone 1
(femur) and bone 2 (tooth) are partial profiles of that genotype: different loci failed on
each, and one heterozygous locus of the tooth shows a single peak (allelic dropout).
Deterministic.

Run from the repository root: ``python scripts/demo_reassociation_fixture.py``.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
from pathlib import Path

DEMO = Path("fixtures/demo")
CHILDREN = ("KIT-2024-000022-60", "KIT-2024-000023-57", "KIT-2024-000024-54")
BONES = ("KIT-2022-000001-91", "KIT-2022-000002-88")
FAILED = ({"SE33", "D2S1338", "D18S51", "FGA", "D12S391", "D1S1656"},  # femur
          {"D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D22S1045"})  # tooth
ONE_PEAK = "D21S11"  # the tooth shows one peak here when the man is heterozygous


def _child(kid: tuple[str, str], father: tuple[str, str], p: dict[str, float]) -> float:
    """P(child genotype | father's genotype), the mother's allele drawn from ``p``."""
    c1, c2 = kid
    out = 0.0
    for t in father:
        if c1 == c2:
            out += 0.5 * (p.get(c1, 0.0) if t == c1 else 0.0)
        else:
            out += 0.5 * ((p.get(c2, 0.0) if t == c1 else 0.0)
                          + (p.get(c1, 0.0) if t == c2 else 0.0))
    return out


def main(out_dir: Path = DEMO) -> Path:
    """Write the bones' table into ``out_dir`` (default: the demo fixtures); returns its path."""
    rng = random.Random(20261206)
    rows = {r["SampleName"]: r for r in csv.DictReader(
        (DEMO / "genotypes_globalfiler.csv").open(encoding="utf-8"))}
    freqs: dict[str, dict[str, float]] = {}
    with (DEMO / "nist1036_asian.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(line for line in fh if not line.startswith("#")):
            freqs.setdefault(r["locus"], {})[r["allele"]] = float(r["frequency"])
    header = list(next(iter(rows.values())).keys())
    loci = [h for h in header if h not in ("SampleName", "Kit", "AMEL")]
    man: dict[str, tuple[str, str]] = {}
    for locus in loci:
        p = freqs[locus]
        kids = [tuple(rows[k][locus].split(",")) for k in CHILDREN]
        alleles = sorted(p, key=float)
        pairs = list(itertools.combinations_with_replacement(alleles, 2))
        weights = [(2.0 if a != b else 1.0) * p[a] * p[b]
                   * math.prod(_child(kid, (a, b), p) for kid in kids) for a, b in pairs]
        man[locus] = rng.choices(pairs, weights)[0]
    out = out_dir / "reassociation_globalfiler.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for barcode, failed in zip(BONES, FAILED, strict=True):
            cells = []
            for locus in loci:
                a, b = man[locus]
                if locus in failed:
                    cells.append("")
                elif barcode == BONES[1] and locus == ONE_PEAK and a != b:
                    cells.append(f"{a},{a}")
                else:
                    cells.append(f"{a},{b}")
            w.writerow([barcode, "GlobalFiler", "X,Y", *cells])
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
