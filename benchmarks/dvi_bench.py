"""Joint DVI benchmark (issue 11): prints figures.

(a) the 11 public dvir problems (tests/data/oracle/dvi.json): total solve time (parse,
    pairwise LRs, joint enumeration, GLR, classification) against the R reference's time
    given per problem in the file (``r_seconds``, 32 s in total), cold (first run in the
    process, numba and plan compilation included) and warm (best of 3);
(b) a plane-crash-sized problem: 8 victims (5 of them missing persons, 3 unrelated), 5
    families with one missing person each (father+mother, mother+brother, spouse+2
    children, sibling, grandmother+aunt), 21 STR loci with an `equal` mutation model:
    19,081 assignments, exhaustive (dvir: about 8 minutes);
(c) a mass grave: R remains x F families with 2 missing persons each (two brothers with
    their mother and a sister; father and son with the wife and a daughter; two brothers
    with their father), 80% of the missing persons found among the remains, the rest
    unrelated; solved with pruning (the rule is printed).

All data are synthetic (gene dropping with the oracle frequency tables). Run::

    PYTHONPATH=src .venv/bin/python benchmarks/dvi_bench.py [--remains 100 --families 60]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dnacase.kinship import Pedigree, simulate_genotypes
from dnacase.kinship.dvi import DVIOptions, parse_problem, solve

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "data" / "oracle"
MUT = {"model": "equal", "rate": 0.002, "range": None, "rate2": None}

# template: (pedigree records (id, father, mother, sex), missing, references)
TEMPLATES = {
    "father+mother": ([("FA", None, None, "M"), ("MO", None, None, "F"), ("M1", "FA", "MO", "M")],
                      ["M1"], ["FA", "MO"]),
    "mother+brother": ([("FA", None, None, "M"), ("MO", None, None, "F"),
                        ("M1", "FA", "MO", "M"), ("BR", "FA", "MO", "M")], ["M1"], ["MO", "BR"]),
    "spouse+2children": ([("M1", None, None, "M"), ("SP", None, None, "F"),
                          ("C1", "M1", "SP", "M"), ("C2", "M1", "SP", "F")], ["M1"],
                         ["SP", "C1", "C2"]),
    "sibling": ([("FA", None, None, "M"), ("MO", None, None, "F"), ("M1", "FA", "MO", "M"),
                 ("SI", "FA", "MO", "F")], ["M1"], ["SI"]),
    "grandmother+aunt": ([("GF", None, None, "M"), ("GM", None, None, "F"),
                          ("FA", "GF", "GM", "M"), ("AU", "GF", "GM", "F"),
                          ("MO", None, None, "F"), ("M1", "FA", "MO", "M")], ["M1"],
                         ["GM", "AU"]),
    "2brothers+mother+sister": ([("FA", None, None, "M"), ("MO", None, None, "F"),
                                 ("M1", "FA", "MO", "M"), ("M2", "FA", "MO", "M"),
                                 ("SI", "FA", "MO", "F")], ["M1", "M2"], ["MO", "SI"]),
    "father+son+wife+daughter": ([("M1", None, None, "M"), ("W", None, None, "F"),
                                  ("M2", "M1", "W", "M"), ("D", "M1", "W", "F")], ["M1", "M2"],
                                 ["W", "D"]),
    "2brothers+father": ([("FA", None, None, "M"), ("MO", None, None, "F"),
                          ("M1", "FA", "MO", "M"), ("M2", "FA", "MO", "M")], ["M1", "M2"],
                         ["FA"]),
}


def _markers() -> list[dict]:
    cases = json.loads((ORACLE / "cases.json").read_text())
    case = max(cases, key=lambda c: len(c["markers"]))
    return [{"name": m["name"], "frequencies": m["frequencies"], "mutation": MUT}
            for m in case["markers"][:21]]


def synthetic_problem(pid: str, templates: list[str], n_unrelated: int, found: float,
                      seed: int) -> dict:
    """A DVI problem in the JSON format: one family per template, the missing persons'
    simulated genotypes as victims (a fraction ``found`` of them), plus unrelated victims."""
    rng = np.random.default_rng(seed)
    markers = _markers()
    prob = parse_problem({"id": "x", "markers": markers, "victims": [{"id": "V", "sex": "M"}],
                          "families": [{"id": "F", "pedigree": [
                              {"id": "A", "father": None, "mother": None, "sex": "M"}],
                              "missing": ["A"]}]})
    loci = prob.loci
    names = [m["name"] for m in markers]

    def prof(g):
        return {names[j]: [loci[j].alleles[g[j, 0]], loci[j].alleles[g[j, 1]]]
                for j in range(len(loci))}

    families, victims = [], []
    for k, t in enumerate(templates):
        recs, missing, refs = TEMPLATES[t]
        fid = f"F{k + 1}"
        pre = f"{fid}_"
        ped = Pedigree.from_records([{"id": pre + i, "father": pre + f if f else None,
                                      "mother": pre + m if m else None, "sex": s}
                                     for i, f, m, s in recs])
        g = simulate_genotypes(ped, loci, rng)[0]
        families.append({"id": fid, "pedigree": ped.to_records(),
                         "missing": [pre + m for m in missing],
                         "references": [pre + r for r in refs],
                         "genotypes": {pre + r: prof(g[ped.index(pre + r)]) for r in refs}})
        for m in missing:
            if rng.random() < found:
                victims.append(prof(g[ped.index(pre + m)]))
    for _ in range(n_unrelated):
        g = np.stack([rng.choice(loc.n_alleles, size=2, p=loc.freqs) for loc in loci])
        victims.append(prof(g))
    order = rng.permutation(len(victims))
    return {"id": pid, "markers": markers,
            "victims": [{"id": f"V{i + 1}", "sex": "M", "genotypes": victims[j]}
                        for i, j in enumerate(order)],
            "families": families,
            "missing": [m for f in families for m in f["missing"]]}


def _timed(raw: dict, opts: DVIOptions = DVIOptions()) -> tuple[float, dict]:
    t = time.perf_counter()
    out = solve(parse_problem(raw), opts)
    return time.perf_counter() - t, out


def public_set() -> None:
    problems = json.loads((ORACLE / "dvi.json").read_text())
    r_total = sum(p["r_seconds"] for p in problems)
    cold = sum(_timed(p)[0] for p in problems)
    warm = min(sum(_timed(p)[0] for p in problems) for _ in range(3))
    print(f"(a) public set: {len(problems)} problems, R reference {r_total:.1f} s; dnacase "
          f"cold {cold:.2f} s ({r_total / cold:.0f}x), warm {warm:.3f} s "
          f"({r_total / warm:.0f}x)")
    for p in problems:
        t = min(_timed(p)[0] for _ in range(3))
        print(f"    {p['id']:<24} {t * 1000:8.1f} ms   R {p['r_seconds']:7.3f} s   "
              f"{p['r_seconds'] / t:6.0f}x")


def plane_crash() -> None:
    raw = synthetic_problem("planecrash-like", ["father+mother", "mother+brother",
                                                "spouse+2children", "sibling",
                                                "grandmother+aunt"], 3, 1.0, 11)
    t, out = _timed(raw)
    j = out["joint"]
    print(f"(b) plane crash: 8 victims x 5 families: {j['n_assignments']:,} assignments, "
          f"exhaustive={j['exhaustive']}, {t:.2f} s (dvir: about 8 minutes); best log10 LR "
          f"{j['top'][0]['log10_lr_vs_null']:.2f}, posterior {j['top'][0]['posterior']:.4f}")


def mass_grave(n_remains: int, n_families: int) -> None:
    kinds = ["2brothers+mother+sister", "father+son+wife+daughter", "2brothers+father"]
    templates = [kinds[k % 3] for k in range(n_families)]
    found = min(1.0, 0.8 * n_remains / (2 * n_families))
    raw = synthetic_problem("mass-grave", templates, 0, found, 29)
    n_true = len(raw["victims"])
    rng = np.random.default_rng(5)
    extra = synthetic_problem("x", ["father+mother"] * max(0, n_remains - n_true), 0, 1.0, 31)
    for k, v in enumerate(extra["victims"]):
        raw["victims"].append({**v, "id": f"U{k + 1}"})
    del rng
    t, out = _timed(raw)
    j = out["joint"]
    cls = [c["class"] for c in out["classification"]]
    print(f"(c) mass grave: {len(raw['victims'])} remains x {n_families} families "
          f"({2 * n_families} missing persons): {t:.1f} s; exhaustive={j['exhaustive']}, rule: "
          f"{j['rule']}; {j['n_assignments']:,} assignments in the pruned space; "
          f"classes: " + ", ".join(f"{c} {cls.count(c)}" for c in sorted(set(cls))))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--remains", type=int, default=100)
    ap.add_argument("--families", type=int, default=60)
    ap.add_argument("--skip-grave", action="store_true")
    a = ap.parse_args()
    public_set()
    plane_crash()
    if not a.skip_grave:
        mass_grave(a.remains, a.families)


if __name__ == "__main__":
    main()
