"""SNP-panel VCF (ForenSeq / Kintelligence style), read with scikit-allel.

A line-level pre-pass checks the header, column counts, positions and GT syntax so that every
problem is reported with its line, sample and SNP id; only well-formed records are then given
to ``allel.read_vcf`` (on an in-memory buffer). Output arrays are plain numpy: genotypes
``int8`` with ``-1`` missing, depth and quality ``int32`` with ``-1`` missing. scikit-allel is
imported here only, so nothing else in dnacase depends on it.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
import zlib

import numpy as np

from dnacase.domain.errors import N_

from ._strbuild import DEFAULT_OPTIONS, ParseOptions, clean_name
from ._text import check_size, decode_text
from .issues import Issue, IssueCode, IssueSink, ParseResult, VCFError, msg, sha256_hex
from .records import SNPProfile, SNPVariants

FORMAT = "vcf"
_FIXED = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_GT_RE = re.compile(r"(?:\.|\d{1,3})(?:[/|](?:\.|\d{1,3}))*")
_BASES_RE = re.compile(r"[ACGTNacgtn]+|\*|<[^>]+>|\.")


def normalise_chrom(name: str) -> str:
    """``chr1`` -> ``1``, ``chrX`` -> ``X``, ``chrM``/``M``/``chrMT`` -> ``MT``."""
    c = name[3:] if name[:3].lower() == "chr" else name
    if c.upper() in ("M", "MT"):
        return "MT"
    return c.upper() if c.lower() in ("x", "y") else c


def _gunzip(data: bytes, filename: str, limit: int) -> bytes:
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        buf = data
        while buf:
            out += d.decompress(buf, limit + 1 - len(out))
            if len(out) > limit:
                raise VCFError(Issue.of("error", IssueCode.FILE_TOO_LARGE,
                                        msg(N_("decompressed VCF exceeds %(max).1f MB"),
                                            max=limit / 1048576), filename))
            if d.unconsumed_tail:
                buf = d.unconsumed_tail
            elif d.eof and d.unused_data:  # bgzip: several gzip members
                buf = d.unused_data
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                break
        if not d.eof:
            raise VCFError(Issue.of("error", IssueCode.TRUNCATED,
                                    msg(N_("compressed VCF ends early: the file is truncated")),
                                    filename))
        return bytes(out)
    except (zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise VCFError(Issue.of("error", IssueCode.BINARY_FILE,
                                msg(N_("cannot decompress VCF: %(error)s"), error=str(exc)),
                                filename)) from None


def parse_vcf(
    data: bytes, filename: str, options: ParseOptions | None = None
) -> ParseResult[SNPProfile]:
    """Parse a SNP-panel VCF (plain or gzip/bgzip) into one :class:`SNPProfile` per sample.

    Haploid calls (``0`` on chrX/Y/MT) become ``[a, -1]`` with ``haploid`` set; ``./.`` is
    ``[-1, -1]``. Multi-allelic records are kept (``alt`` widened). Raises :class:`VCFError`
    for oversize, non-VCF, headerless or unreadable input; bad records are issues.
    """
    opts = options or DEFAULT_OPTIONS
    if not isinstance(data, bytes | bytearray | memoryview):
        raise VCFError(Issue.of("error", IssueCode.NOT_THIS_FORMAT,
                                msg(N_("expected the raw bytes of a file")), filename))
    raw = bytes(data)
    check_size(raw, filename, VCFError, opts.max_bytes)
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, filename, opts.max_bytes)
    sink = IssueSink(filename)
    text = decode_text(raw, filename, VCFError, sink, max_bytes=opts.max_bytes,
                       encoding=opts.encoding)
    lines = text.lines
    if not lines[0].startswith("##fileformat=VCF"):
        raise VCFError(Issue.of("error", IssueCode.NOT_THIS_FORMAT,
                                msg(N_("first line is not '##fileformat=VCFv4.x': not a VCF "
                                       "file")), filename, 1))
    hdr_idx = next((i for i, ln in enumerate(lines) if ln.startswith("#CHROM")), None)
    if hdr_idx is None:
        raise VCFError(Issue.of("error", IssueCode.VCF_HEADER,
                                msg(N_("no '#CHROM POS ID ...' column header line")), filename))
    header = lines[hdr_idx].split("\t")
    if tuple(header[:8]) != _FIXED:
        raise VCFError(Issue.of("error", IssueCode.VCF_HEADER,
                                msg(N_("column header must be tab-separated #CHROM POS ID REF "
                                       "ALT QUAL FILTER INFO FORMAT <samples>")),
                                filename, hdr_idx + 1))
    samples = [clean_name(s) for s in header[9:]]
    if len(header) < 10 or header[8] != "FORMAT" or not samples:
        raise VCFError(Issue.of("error", IssueCode.VCF_HEADER,
                                msg(N_("VCF has no FORMAT column or no sample columns")),
                                filename, hdr_idx + 1))
    seen: dict[str, int] = {}
    for j, s in enumerate(samples):
        if not s:
            sink.error(IssueCode.MISSING_SAMPLE_NAME,
                       msg(N_("sample column %(column)d has no name"), column=j + 10),
                       line=hdr_idx + 1)
        elif s in seen:
            sink.error(IssueCode.DUPLICATE_SAMPLE,
                       msg(N_("sample %(sample)r appears twice in the header (columns "
                              "%(first)d and %(second)d)"), sample=s, first=seen[s] + 10,
                           second=j + 10), line=hdr_idx + 1, sample=s)
        else:
            seen[s] = j
    width = len(header)
    n_samples = len(samples)
    good_lines: list[str] = []
    haploid_rows: list[list[bool]] = []
    max_alt = 1
    fmt_keys: set[str] = set()
    chrom_styles: set[bool] = set()
    keys: dict[str, int] = {}
    for i in range(hdr_idx + 1, len(lines)):
        line = lines[i]
        lineno = i + 1
        if not line.strip():
            continue
        if line.startswith("#"):
            sink.error(IssueCode.VCF_RECORD, msg(N_("header line after the column header")),
                       line=lineno)
            continue
        f = line.split("\t")
        if len(f) != width:
            truncated = lineno == len(lines) and not text.ends_with_newline
            sink.error(IssueCode.TRUNCATED if truncated else IssueCode.ROW_LENGTH,
                       msg(N_("record has %(n)d columns, the header %(width)d: the file is "
                              "truncated"), n=len(f), width=width) if truncated else
                       msg(N_("record has %(n)d columns, the header %(width)d"), n=len(f),
                           width=width),
                       line=lineno, locus=f[2] if len(f) > 2 else None)
            continue
        snp = f[2]
        if not (f[1].isascii() and f[1].isdigit()) or int(f[1]) <= 0:
            sink.error(IssueCode.VCF_RECORD,
                       msg(N_("POS %(pos)r is not a positive integer"), pos=f[1]),
                       line=lineno, locus=snp)
            continue
        alts = f[4].split(",")
        if not _BASES_RE.fullmatch(f[3]) or not all(_BASES_RE.fullmatch(a) for a in alts):
            sink.error(IssueCode.VCF_RECORD, msg(N_("REF/ALT %(ref)r/%(alt)r are not bases"),
                                                    ref=f[3], alt=f[4]),
                       line=lineno, locus=snp)
            continue
        n_alt = 0 if f[4] == "." else len(alts)
        fmt = f[8].split(":")
        if "GT" not in fmt:
            sink.error(IssueCode.VCF_GENOTYPE, msg(N_("FORMAT has no GT field")), line=lineno,
                       locus=snp)
            continue
        gt_at = fmt.index("GT")
        bad = False
        hap: list[bool] = []
        for j in range(n_samples):
            cell = f[9 + j].split(":")
            gt = cell[gt_at] if gt_at < len(cell) else "."
            if not _GT_RE.fullmatch(gt):
                sink.error(IssueCode.VCF_GENOTYPE, msg(N_("genotype %(gt)r is not like 0/1, 1|1, "
                                                             "./. or 0"), gt=gt),
                           line=lineno, sample=samples[j], locus=snp)
                bad = True
                continue
            parts = re.split(r"[/|]", gt)
            if len(parts) > 2:
                sink.error(IssueCode.VCF_GENOTYPE, msg(N_("genotype %(gt)r has ploidy %(n)d; only "
                                                             "haploid and diploid calls are "
                                                             "supported"), gt=gt, n=len(parts)),
                           line=lineno,
                           sample=samples[j], locus=snp)
                bad = True
                continue
            if any(p != "." and int(p) > n_alt for p in parts):
                sink.error(IssueCode.VCF_GENOTYPE,
                           msg(N_("genotype %(gt)r refers to an allele beyond the %(n)d ALT "
                                  "allele(s)"), gt=gt, n=n_alt), line=lineno,
                           sample=samples[j], locus=snp)
                bad = True
                continue
            hap.append(len(parts) == 1 and parts[0] != ".")
        if bad:
            continue
        key = f"{normalise_chrom(f[0])}:{f[1]}:{f[3]}:{f[4]}"
        if key in keys:
            sink.warning(IssueCode.VCF_RECORD, msg(N_("variant %(variant)s repeats line %(line)d"),
                                                      variant=key, line=keys[key]),
                         line=lineno, locus=snp)
        keys[key] = lineno
        chrom_styles.add(f[0][:3].lower() == "chr")
        max_alt = max(max_alt, n_alt)
        fmt_keys.update(fmt)
        good_lines.append(line)
        haploid_rows.append(hap)
    if len(chrom_styles) > 1:
        sink.warning(IssueCode.VCF_RECORD, msg(N_("chromosome names mix 'chr1' and '1' styles; "
                                                 "both are read as '1'")))
    records: list[SNPProfile] = []
    if not good_lines:
        if not sink.has_errors():
            sink.warning(IssueCode.NO_SAMPLES, msg(N_("VCF has no variant records")))
        return ParseResult(FORMAT, filename, sha256_hex(bytes(data)), records, sink.finish(),
                           text.encoding)
    body = "\n".join([*lines[: hdr_idx + 1], *good_lines]) + "\n"
    fields = ["samples", "variants/CHROM", "variants/POS", "variants/ID", "variants/REF",
              "variants/ALT", "variants/FILTER_PASS", "calldata/GT"]
    quality = [q for q in ("DP", "GQ") if q in fmt_keys]
    fields += [f"calldata/{q}" for q in quality]
    try:
        import allel  # local: scikit-allel stays inside dnacase.formats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "'PASS' FILTER header not found"
            cs = allel.read_vcf(io.BytesIO(body.encode("utf-8")), fields=fields,
                                alt_number=max_alt, numbers={"calldata/GT": 2},
                                types={f"calldata/{q}": "i4" for q in quality})
    except Exception as exc:  # scikit-allel raises many types on odd input
        raise VCFError(Issue.of("error", IssueCode.VCF_RECORD,
                                msg(N_("scikit-allel could not read the records: %(error)s"),
                                    error=str(exc)), filename)) from None
    if cs is None:
        raise VCFError(Issue.of("error", IssueCode.VCF_RECORD,
                                msg(N_("scikit-allel found no records")), filename))
    gt = np.asarray(cs["calldata/GT"], dtype=np.int8)
    if gt.shape != (len(good_lines), n_samples, 2):
        raise VCFError(Issue.of("error", IssueCode.VCF_RECORD,
                                msg(N_("unexpected genotype array shape %(shape)s"),
                                    shape=str(gt.shape)), filename))
    alt = np.asarray(cs["variants/ALT"], dtype=object).reshape(len(good_lines), -1)
    variants = SNPVariants(
        chrom=np.array([normalise_chrom(str(c)) for c in cs["variants/CHROM"]], dtype=object),
        pos=np.asarray(cs["variants/POS"], dtype=np.int64),
        id=np.asarray(cs["variants/ID"], dtype=object),
        ref=np.asarray(cs["variants/REF"], dtype=object),
        alt=np.where(alt == None, "", alt).astype(object),  # noqa: E711
        filter_pass=np.asarray(cs["variants/FILTER_PASS"], dtype=bool),
    )
    haploid = np.array(haploid_rows, dtype=bool).reshape(len(good_lines), n_samples)
    qual = {q: np.asarray(cs[f"calldata/{q}"], dtype=np.int32) for q in quality}
    for j, s in enumerate(samples):
        if not s or seen.get(s) != j:
            continue
        prof = SNPProfile(
            sample=s, variants=variants, genotypes=np.ascontiguousarray(gt[:, j, :]),
            haploid=haploid[:, j].copy(),
            dp=qual["DP"][:, j].copy() if "DP" in qual else None,
            gq=qual["GQ"][:, j].copy() if "GQ" in qual else None,
            file=filename, column=j + 10)
        if prof.n_missing:
            sink.info(IssueCode.NO_RESULT,
                      f"{prof.n_missing} of {len(variants)} SNPs not called", line=hdr_idx + 1,
                      sample=s)
        records.append(prof)
    return ParseResult(FORMAT, filename, sha256_hex(bytes(data)), records, sink.finish(),
                       text.encoding)
