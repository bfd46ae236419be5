"""Build a DVI problem from in-memory data (for the service layer: a family with several
missing persons, or a grave or site with several remains), without going through JSON.

The caller gives the loci of its evidence model, the victims' encoded profiles and each
family's pedigree with encoded reference genotypes (allele indices into the loci, ``-1``
untyped; :func:`..markers.encode_profiles`). The result is solved with :func:`.solve.solve`,
whose output records the engine version and the options used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..markers import Locus
from ..pedigree import FEMALE, MALE, Pedigree, PedigreeError, sex_code
from .problem import DVIError, DVIFamily, DVIProblem, _allowed, _prior

__all__ = ["problem_from_arrays"]


def problem_from_arrays(
    problem_id: str,
    loci: Sequence[Locus],
    victims: Sequence[tuple[str, str, np.ndarray]],
    families: Sequence[tuple[str, Pedigree, Sequence[str], np.ndarray]],
    pairings: Mapping[str, Sequence[str]] | None = None,
    prior: Mapping[str, Mapping[str, float]] | None = None,
) -> DVIProblem:
    """``victims``: ``(id, sex "M"/"F"/"U", genotypes int (n_loci, 2))``; ``families``:
    ``(id, pedigree, missing person ids, references int (n_persons, n_loci, 2))`` in
    pedigree order, the missing persons untyped; ``pairings``/``prior`` as in the JSON
    format (:mod:`.problem`). :class:`.problem.DVIError` names what is wrong."""
    ctx = f"problem {problem_id!r}"
    nl = len(loci)
    vids, vsex, vgen = [], [], []
    for vid, sex, g in victims:
        g = np.asarray(g, dtype=np.int32)
        if g.shape != (nl, 2):
            raise DVIError(f"{ctx}, victim {vid!r}: genotypes must have shape ({nl}, 2)")
        if vid in vids:
            raise DVIError(f"{ctx}, victim {vid!r}: duplicate victim id")
        try:
            vsex.append(sex_code(sex, vid))
        except PedigreeError as exc:
            raise DVIError(f"{ctx}, victim {vid!r}: {exc}") from exc
        vids.append(str(vid))
        vgen.append(g)
    if not vids or not families:
        raise DVIError(f"{ctx}: needs at least one victim and one family")
    fams, family_of, msex = [], {}, {}
    for k, (fid, ped, missing, refs) in enumerate(families):
        refs = np.asarray(refs, dtype=np.int32)
        if refs.shape != (len(ped), nl, 2):
            raise DVIError(f"{ctx}, family {fid!r}: references must have shape "
                           f"({len(ped)}, {nl}, 2)")
        for m in missing:
            if m not in ped:
                raise DVIError(f"{ctx}, family {fid!r}: missing person {m!r} not in the pedigree")
            if (refs[ped.index(m)] >= 0).any():
                raise DVIError(f"{ctx}, family {fid!r}, person {m!r}: a missing person must be "
                               "untyped")
            if m in family_of or m in vids:
                raise DVIError(f"{ctx}: missing person id {m!r} used twice")
            family_of[m] = k
            code = int(ped.sex[ped.index(m)])
            msex[m] = code if code in (MALE, FEMALE) else 0
        fams.append(DVIFamily(str(fid), ped, tuple(missing), refs))
    missing_all = tuple(family_of)
    sexes = np.array(vsex, dtype=np.int8)
    allowed, given = _allowed({"pairings": pairings} if pairings is not None else {}, ctx,
                              vids, sexes, missing_all, msex)
    return DVIProblem(str(problem_id), tuple(loci), tuple(vids), sexes, np.stack(vgen),
                      tuple(fams), missing_all, family_of, msex, allowed, given, {},
                      _prior(prior, ctx, vids, missing_all))
