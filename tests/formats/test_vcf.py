"""SNP-panel VCF read with scikit-allel: arrays, quality, missing calls, broken files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from dnacase.formats import IssueCode, VCFError, normalise_chrom, parse_vcf

from .conftest import read


@pytest.fixture(scope="module")
def vcf() -> bytes:
    return read("snp_panel_example.vcf")


def test_vcf_ground_truth(vcf: bytes) -> None:
    r = parse_vcf(vcf, "p.vcf")
    assert r.ok and [p.sample for p in r.records] == [
        "VN17-REF-M01", "VN17-REF-S01", "VN17-UHR-B01", "VN17-REF-W01", "VN17-REF-C01"]
    uhr = r.records[2]
    assert uhr.genotypes.dtype == np.int8 and uhr.genotypes.shape == (40, 2)
    assert uhr.n_missing == 14 and uhr.n_called == 26  # degraded remains: 14 of 40 missing
    assert all(p.n_missing == 0 for p in r.records if p.sample != "VN17-UHR-B01")
    assert uhr.dp is not None and uhr.dp.dtype == np.int32 and uhr.dp[0] == 32
    assert uhr.gq is None  # no GQ in this file
    v = uhr.variants
    assert len(v) == 40 and v.chrom[0] == "1" and v.pos[0] == 1000000
    assert v.id[0] == "SYN_SNP_0001" and v.keys()[0] == "1:1000000:T:C"
    assert r.records[0].genotypes[1].tolist() == [1, 1]
    assert uhr.genotypes[2].tolist() == [-1, -1]
    info = next(i for i in r.issues if i.sample == "VN17-UHR-B01")
    assert info.severity == "info" and "14 of 40" in info.message


def test_gzip_haploid_gq_and_multiallelic() -> None:
    text = (b"##fileformat=VCFv4.2\n"
            b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n"
            b"chr1\t100\trs1\tA\tG\t.\tPASS\t.\tGT:DP:GQ\t0/1:10:30\t1|1:.:.\n"
            b"chrX\t200\trs2\tC\tT\t.\tPASS\t.\tGT:DP\t1:5\t0:7\n"
            b"MT\t300\trs3\tC\tT,G\t.\tPASS\t.\tGT\t2\t./.\n")
    for data in (text, gzip.compress(text)):
        r = parse_vcf(data, "x.vcf.gz")
        assert r.ok
        a, b = r.records
        assert a.genotypes.tolist() == [[0, 1], [1, -1], [2, -1]]
        assert a.haploid.tolist() == [False, True, True]
        assert b.haploid.tolist() == [False, True, False]
        assert a.gq.tolist() == [30, -1, -1] and a.dp.tolist() == [10, 5, -1]  # type: ignore[union-attr]
        assert a.variants.chrom.tolist() == ["1", "X", "MT"]
        assert a.variants.alt[2].tolist() == ["T", "G"]


def test_chrom_names() -> None:
    assert [normalise_chrom(c) for c in ("chr1", "1", "chrX", "x", "chrM", "M", "MT")] == [
        "1", "1", "X", "X", "MT", "MT", "MT"]


def test_bad_records_are_reported_and_good_ones_kept(vcf: bytes) -> None:
    lines = vcf.decode().split("\n")
    hdr = next(i for i, x in enumerate(lines) if x.startswith("#CHROM"))
    f = lines[hdr + 1].split("\t")
    f[9] = "0/x:212:212,0"
    lines[hdr + 1] = "\t".join(f)
    g = lines[hdr + 2].split("\t")
    g[1] = "-5"
    lines[hdr + 2] = "\t".join(g)
    r = parse_vcf("\n".join(lines).encode(), "p.vcf")
    assert not r.ok
    gt_err = next(i for i in r.errors if i.code == IssueCode.VCF_GENOTYPE)
    assert (gt_err.line, gt_err.sample, gt_err.locus) == (hdr + 2, "VN17-REF-M01",
                                                          "SYN_SNP_0001")
    assert any(i.code == IssueCode.VCF_RECORD and i.line == hdr + 3 for i in r.errors)
    assert r.records[0].genotypes.shape == (38, 2)


def test_truncated_vcf(vcf: bytes) -> None:
    r = parse_vcf(vcf[: len(vcf) - 30], "p.vcf")
    assert any(i.code == IssueCode.TRUNCATED for i in r.errors)
    with pytest.raises(VCFError) as exc:
        parse_vcf(gzip.compress(vcf)[:-20], "p.vcf.gz")
    assert exc.value.issue.code in (IssueCode.TRUNCATED, IssueCode.BINARY_FILE)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello\tworld\n", IssueCode.NOT_THIS_FORMAT),
        (b"##fileformat=VCFv4.2\n##x=y\n", IssueCode.VCF_HEADER),
        (b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
         IssueCode.VCF_HEADER),
        (b"\x1f\x8bnot-really-gzip", IssueCode.BINARY_FILE),
    ],
)
def test_unreadable_vcf(data: bytes, code: IssueCode) -> None:
    with pytest.raises(VCFError) as exc:
        parse_vcf(data, "x.vcf")
    assert exc.value.issue.code == code


def test_duplicate_sample_in_header(vcf: bytes) -> None:
    r = parse_vcf(vcf.replace(b"VN17-REF-S01", b"VN17-REF-M01"), "p.vcf")
    assert any(i.code == IssueCode.DUPLICATE_SAMPLE and i.sample == "VN17-REF-M01"
               for i in r.errors)
