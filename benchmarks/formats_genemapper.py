"""Benchmark: parse + validate a GeneMapper ID-X export of 5,000 samples x 24 GlobalFiler loci.

Run: ``.venv/bin/python benchmarks/formats_genemapper.py [n_samples]``

Genotypes are drawn from the shipped NIST 1036 Asian frequencies (synthetic). The figure is the
parser's share of the issue-4 import target (30 s for the whole import incl. the database).
"""

from __future__ import annotations

import random
import sys
import time

from dnacase.formats import load_frequency_table, load_kits, parse_genemapper


def make_export(n_samples: int, seed: int = 17) -> bytes:
    rng = random.Random(seed)
    freq = load_frequency_table("nist1036_asian")
    kit = load_kits()["GlobalFiler"]
    n_cols = 4
    head = ["Sample File", "Sample Name", "Sample Type", "Panel", "Marker", "Dye"]
    head += [f"Allele {i}" for i in range(1, n_cols + 1)]
    head += [f"Size {i}" for i in range(1, n_cols + 1)]
    head += [f"Height {i}" for i in range(1, n_cols + 1)] + ["Comments"]
    rows = ["\t".join(head)]
    for s in range(n_samples):
        name = f"VN24-{s:06d}"
        male = rng.random() < 0.5
        for m in kit.markers:
            if m.marker_type == "autosomal_STR":
                alleles = list(freq.frequencies[m.locus])
                weights = list(freq.frequencies[m.locus].values())
                a, b = rng.choices(alleles, weights, k=2)
                calls = [a] if a == b else [a, b]
            elif m.marker_type == "sex":
                calls = ["X", "Y"] if male else ["X"]
            elif m.locus == "Yindel":
                calls = [rng.choice("12")] if male else []
            else:
                calls = [str(rng.randint(9, 12))] if male else []
            cells = calls + [""] * (n_cols - len(calls))
            sizes = [f"{100 + 4 * i:.2f}" if c else "" for i, c in enumerate(cells)]
            heights = [str(rng.randint(300, 6000)) if c else "" for c in cells]
            rows.append("\t".join([f"{name}.hid", name, "Sample", "GlobalFiler_Panel_v1X",
                                   m.kit_name, m.dye[:1].upper(), *cells, *sizes, *heights, ""]))
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    t0 = time.perf_counter()
    data = make_export(n)
    t1 = time.perf_counter()
    result = parse_genemapper(data, "bench.txt")
    t2 = time.perf_counter()
    n_rows = data.count(b"\r\n") - 1
    print(f"generated {n} samples x 24 loci = {n_rows} rows, {len(data) / 1e6:.1f} MB "
          f"in {t1 - t0:.2f} s")
    print(f"parse+validate: {t2 - t1:.2f} s ({n_rows / (t2 - t1):,.0f} rows/s); "
          f"{len(result.records)} profiles, {len(result.errors)} errors, "
          f"{len(result.warnings)} warnings, ok={result.ok}")
    print(f"share of the 30 s import target: {100 * (t2 - t1) / 30:.1f} %")


if __name__ == "__main__":
    main()
