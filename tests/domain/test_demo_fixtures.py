"""The demo fixtures are reproducible and genetically consistent."""

import csv
import filecmp
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "fixtures"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_demo", ROOT / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _profiles() -> dict[str, dict[str, tuple[str, ...]]]:
    out = {}
    with (ROOT / "demo" / "genotypes_globalfiler.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["SampleName"]] = {
                k: tuple(v.split(",")) for k, v in row.items()
                if k not in ("SampleName", "Kit", "AMEL") and v
            }
    return out


#: Demo files not written by fixtures/generate_demo.py: the re-association bones (written by
#: scripts/demo_reassociation_fixture.py from the generator's output, tested below) and their
#: hand-written kit/collection description.
REASSOCIATION_FILES = {"reassociation_globalfiler.csv", "reassociation.json"}


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    _load_generator().main(tmp_path)
    committed = ROOT / "demo"
    names = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*")
                   if p.is_file() and p.name not in REASSOCIATION_FILES)
    for name in names:
        assert filecmp.cmp(committed / name, tmp_path / name, shallow=False), name


def test_reassociation_script_reproduces_the_committed_bones(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "demo_reassociation_fixture", ROOT.parent / "scripts" / "demo_reassociation_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.DEMO = ROOT / "demo"  # inputs: the committed demo files (the script runs from the root)
    out = module.main(tmp_path)
    assert filecmp.cmp(ROOT / "demo" / out.name, out, shallow=False)


def test_true_matches_are_consistent_with_relatives() -> None:
    """A true parent and child share an allele at every locus, except where the degraded
    remains sample shows one peak (its other allele dropped out: ``truth["one_peak"]``)."""
    truth = json.loads((ROOT / "demo" / "truth.json").read_text(encoding="utf-8"))
    one_peak = truth["one_peak"]
    assert one_peak
    families = json.loads((ROOT / "demo" / "families.json").read_text(encoding="utf-8"))
    profiles = _profiles()
    by_missing = {f["missing"]: f for f in families}
    kit_of = {key: bc for bc, key in truth["reference"].items() if bc in profiles}
    checked = 0
    for remains_kit, registry in truth["remains"].items():
        if registry is None or remains_kit not in profiles:
            continue
        family = by_missing[registry]
        for rel in family["relatives"]:
            if rel["relationship"] in ("mother", "father", "son", "daughter") and \
                    rel["key"] in kit_of:
                parent_child = profiles[kit_of[rel["key"]]]
                for locus, alleles in profiles[remains_kit].items():
                    if locus in one_peak.get(remains_kit, {}):
                        assert alleles == (one_peak[remains_kit][locus],)
                        continue
                    assert set(alleles) & set(parent_child[locus]), (remains_kit, locus)
                checked += 1
    assert checked >= 3


@pytest.mark.parametrize("name", ["registry.csv", "graves/doi-thong.csv"])
def test_fixture_csv_files_parse_without_errors(name: str) -> None:
    from dnacase.formats.registry_csv import parse_grave_list, parse_missing_persons

    data = (ROOT / "demo" / name).read_bytes()
    parse = parse_missing_persons if name == "registry.csv" else parse_grave_list
    result = parse(data, file=name)
    assert result.ok, [str(e) for e in result.errors]
    assert len(result.rows) >= 60
