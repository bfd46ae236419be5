"""The shipped FORCE panel and deCODE 2019 map (dnacase.kinship.linkage.panel)."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship.linkage.panel import load_genetic_map, load_panel


def test_force_panel_rows_and_positions():
    panel = load_panel()
    assert len(panel) == 3930
    first = panel.snps[0]
    assert (first.name, first.chromosome, first.position_mb) == ("rs9442372", "1", 1.083324)
    assert first.alleles == ("G", "A") and first.freqs == pytest.approx((0.611, 0.389))
    assert {s.chromosome for s in panel.snps} == {str(c) for c in range(1, 23)}
    assert len({s.name for s in panel.snps}) == 3930
    for c in {s.chromosome for s in panel.snps}:
        snps = sorted((s for s in panel.snps if s.chromosome == c), key=lambda s: s.position_mb)
        assert np.all(np.diff([s.cm_male for s in snps]) >= 0)
        assert np.all(np.diff([s.cm_female for s in snps]) >= 0)
    # the female map is longer genome-wide (about 1.6 times the crossovers)
    last = {}
    for s in panel.snps:
        last[s.chromosome] = (s.cm_male, s.cm_female)
    male, female = np.array(list(last.values())).sum(axis=0)
    assert 1.3 < female / male < 1.9


def test_map_interpolates_linearly_between_breakpoints():
    gmap = load_genetic_map()
    # chromosome 1 breakpoints (from the file): 1.947648 -> (0.429814, 0.020758),
    # 2.054074 -> (0.934101, 0.039030)
    m, f = gmap.cm("1", [1.947648, 2.054074, (1.947648 + 2.054074) / 2])
    np.testing.assert_allclose(m, [0.429814, 0.934101, (0.429814 + 0.934101) / 2])
    np.testing.assert_allclose(f, [0.020758, 0.039030, (0.020758 + 0.039030) / 2])
    assert gmap.cm("chr1", 2.054074)[0] == pytest.approx(0.934101)
    with pytest.raises(KeyError):
        gmap.cm("Y", 1.0)


def test_other_panel_csv(tmp_path):
    p = tmp_path / "mini.csv"
    p.write_text(
        "# a lab panel\nCHROM,MARKER,MB,A1,A2,FREQ1\n2,rsA,10.5,C,T,0.25\n2,rsB,11.0,A,G,0.5\n"
    )
    panel = load_panel(p)
    assert panel.name == "mini" and [s.name for s in panel.snps] == ["rsA", "rsB"]
    cm_m, cm_f = load_genetic_map().cm("2", [10.5, 11.0])
    assert [s.cm_male for s in panel.snps] == pytest.approx(cm_m.tolist())
    assert panel.snps[1].marker_json()["cm_female"] == pytest.approx(cm_f[1])
    assert panel.snps[0].locus().freqs.tolist() == [0.25, 0.75]
    p.write_text("CHROM,MARKER,MB,A1,A2,FREQ1\n2,rsA,10.5,C,T,1.5\n")
    with pytest.raises(ValueError, match="row 1"):
        load_panel(p)
