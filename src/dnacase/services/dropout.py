"""Allele dropout probability of remains samples: the value the search reads one peaks with.

Model (:mod:`dnacase.kinship.peaks`): each allele copy of a sample drops out independently
with probability ``d``; a locus showing one peak ``a`` is summed over the true genotypes
``{a, a}`` (weight ``1 - d^2``) and ``{a, x}`` (weight ``d (1 - d)``). ``d = 0`` reads a single
peak as a homozygote (the reading before dropout was modelled).

Defaults per sample type (:data:`DEFAULT_DROPOUT`), used while the lab or a reviewer has not
set the sample's own value (``samples.dropout_probability``):

* reference samples (``buccal_swab``, ``blood_card``): ``0`` -- fresh, abundant DNA; a
  single peak is a homozygote;
* remains (``bone_or_tooth``): ``0.1`` -- per-allele dropout of degraded skeletal DNA is
  commonly of the order of 5-20 % at low template (it depends on the quantity and quality of
  the extract); 0.1 keeps a homozygote reading likely (weight 0.99 against 0.09 for each
  heterozygote explanation) while a true relative whose second allele dropped out is no
  longer excluded. The lab should set the sample's own value from its quantification and
  peak heights (:func:`set_sample_dropout`).

An off-ladder peak beside a called allele is never a homozygote, whatever ``d``: the locus is
"the called allele plus one unknown allele" (:data:`dnacase.kinship.peaks.OFF_LADDER_WEIGHTS`).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.i18n import gettext as _
from dnacase.models.kits import Kit, Sample
from dnacase.services import audit
from dnacase.services.audit import ActorLike, RequestMeta
from dnacase.services.errors import NotFound, ValidationFailed
from dnacase.services.review import _require

#: Allele dropout probability per allele copy when a sample has none set (see module doc).
DEFAULT_DROPOUT: dict[str, float] = {"buccal_swab": 0.0, "blood_card": 0.0, "bone_or_tooth": 0.1}

#: Roles that may set a sample's dropout probability.
DROPOUT_ROLES = ("lab", "reviewer")


def effective_dropout(sample_type: str, value: float | None) -> float:
    """The dropout probability the search uses: the sample's own ``value``, else the default
    of its type (0 for an unknown type)."""
    if value is not None:
        return float(value)
    return DEFAULT_DROPOUT.get(sample_type, 0.0)


def sample_dropout(sample: Sample) -> float:
    """:func:`effective_dropout` of a stored sample."""
    return effective_dropout(sample.sample_type, sample.dropout_probability)


def _parse(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        d = float(value)
    except (TypeError, ValueError):
        d = math.nan
    if not (0.0 <= d < 1.0):
        msg = _("The dropout probability must be a number from 0 up to (not including) 1.")
        raise ValidationFailed(msg, field_errors={"dropout_probability": msg})
    return d


async def set_sample_dropout(
    session: AsyncSession,
    barcode: str,
    value: Any,
    reason: str,
    *,
    actor: ActorLike | None,
    meta: RequestMeta | None = None,
) -> Sample:
    """Set (or, with ``value`` None / empty, reset to the type's default) the dropout
    probability of the remains sample carried by kit ``barcode``; lab or reviewer role, with
    a reason; audited (``sample.dropout``). The next search reads the sample's single peaks
    with it."""
    from dnacase.services.profiles import _reason

    _require(actor, *DROPOUT_ROLES)
    text = _reason(reason)
    d = _parse(value)
    row = (await session.execute(select(Sample).join(Kit, Kit.id == Sample.kit_id).where(
        Kit.barcode == barcode.strip()))).scalar_one_or_none()
    if row is None:
        raise NotFound(_("No sample for kit %(barcode)s.", barcode=barcode))
    if row.kind != "remains":
        msg = _("A dropout probability is set on remains samples only.")
        raise ValidationFailed(msg, field_errors={"dropout_probability": msg})
    before = audit.snapshot(row)
    row.dropout_probability = d
    await session.flush()
    after = audit.snapshot(row)
    after["reason"] = text
    await audit.record(session, actor, "sample.dropout", row, before=before, after=after,
                       request_meta=meta)
    return row
