"""Reference data: locus names, kits, core sets, mutation rates."""

from __future__ import annotations

import pytest

from dnacase.formats import (
    canonical_locus,
    find_kit,
    load_core_locus_sets,
    load_kits,
    load_mutation_rate_observations,
    load_mutation_rates,
    marker_type,
)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("PENTA_D", "Penta D"), ("Penta D", "Penta D"), ("pentad", "Penta D"),
        ("VWA", "vWA"), ("vWA", "vWA"), ("AMEL", "Amelogenin"), ("Amelogenin", "Amelogenin"),
        ("THO1", "TH01"), ("TP0X", "TPOX"), ("Y indel", "Yindel"), ("DYS389 II", "DYS389II"),
        ("DYS385a/b", "DYS385"), ("DYS385a", "DYS385"), ("GATA-H4", "YGATAH4"),
        ("se-33", "SE33"), ("d3s1358", "D3S1358"), ("D3S1358", "D3S1358"),
    ],
)
def test_canonical_locus(name: str, canonical: str) -> None:
    assert canonical_locus(name) == canonical


def test_unknown_locus_is_none() -> None:
    assert canonical_locus("D99S999") is None
    assert canonical_locus("") is None


def test_marker_types() -> None:
    assert marker_type("D3S1358") == "autosomal_STR"
    assert marker_type("Amelogenin") == "sex"
    assert marker_type("DYS391") == "Y_STR"
    assert marker_type("Yindel") == "Y_indel"
    assert marker_type("D11S554") == "autosomal_STR"  # only in norSTR


def test_kits_list_their_loci() -> None:
    kits = load_kits()
    gf = kits["GlobalFiler"]
    assert len(gf.markers) == 24
    assert len(gf.autosomal_loci) == 21
    assert set(gf.y_loci) == {"DYS391", "Yindel"}
    assert gf.marker("Amelogenin").kit_name == "AMEL"  # type: ignore[union-attr]
    assert kits["Yfiler Plus"].is_y_kit and len(kits["Yfiler Plus"].markers) == 25
    assert not kits["VeriFiler Plus"].verified
    assert kits["GlobalFiler"].verified
    assert "Penta D" in kits["PowerPlex Fusion 6C"].loci


@pytest.mark.parametrize(
    ("name", "kit"),
    [
        ("GlobalFiler_Panel_v1X", "GlobalFiler"), ("GlobalFiler", "GlobalFiler"),
        ("Identifiler_Plus_Panels_v1X", "Identifiler Plus"),
        ("PowerPlex_Fusion_6C_Panels", "PowerPlex Fusion 6C"),
        ("PowerPlex Fusion", "PowerPlex Fusion (5C)"),
        ("Investigator 24plex GO!", "Investigator 24plex QS / GO!"),
        ("Yfiler Plus", "Yfiler Plus"), ("VeriFiler Plus", "VeriFiler Plus"),
    ],
)
def test_find_kit(name: str, kit: str) -> None:
    found = find_kit(name)
    assert found is not None and found.name == kit


def test_find_kit_unknown() -> None:
    assert find_kit("Global") is None
    assert find_kit("MyHomeBrewKit") is None


def test_core_locus_sets() -> None:
    sets = load_core_locus_sets()
    assert len(sets["CODIS_core_20"]) == 20
    assert len(sets["ESS_12"]) == 12
    assert all(canonical_locus(x) == x for x in sets["CODIS_core_20"])


def test_mutation_rates() -> None:
    auto = load_mutation_rates("autosomal")
    assert auto.rates["SE33"] == pytest.approx(0.004)
    assert auto.rates["TPOX"] == pytest.approx(0.0002)
    assert any("NOT an authoritative" in h for h in auto.header)
    y = load_mutation_rates("ystr")
    assert y.counts["DYS570"] == (25, 1873)
    assert y.rate("DYS385") == y.rates["DYS385a"]
    assert y.rate("DYS570") == pytest.approx(25 / 1873, rel=1e-3)
    assert load_mutation_rate_observations()[0]["locus"] == "FGA"
    with pytest.raises(ValueError):
        load_mutation_rates("mtdna")  # type: ignore[arg-type]
