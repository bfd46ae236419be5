"""JSON Schema of a missing-person kinship case (the oracle case format).

Published as ``schemas/kinship-case.schema.json`` (a test keeps the two identical). The file
holds one case object or an array of cases. Keys not listed are allowed and ignored
(``category``, ``scenario``, ``tags``, ``expected``...).
"""

from __future__ import annotations

from typing import Any

from .lineage.schema import LINEAGE_SCHEMA_ID

_LINEAGE_KEYS = (
    ("mtdna", "mtdna"),
    ("ystr", "ystr"),
    ("mtdna_population", "mtdnaPopulation"),
    ("ystr_population", "ystrPopulation"),
    ("mtdna_rules", "mtdnaRules"),
    ("ystr_rules", "ystrRules"),
)

_ALLELE = {"type": "string", "minLength": 1, "description": 'allele name, e.g. "9.3", "13", "A"'}

_MODEL = {
    "type": "object",
    "required": ["model", "rate"],
    "properties": {
        "model": {"enum": ["equal", "proportional", "stepwise", "onestep"]},
        "rate": {"type": "number", "minimum": 0, "maximum": 1},
        "range": {"type": ["number", "null"], "exclusiveMinimum": 0},
        "rate2": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    },
    "additionalProperties": False,
}

CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dnacase.org/schemas/kinship-case.schema.json",
    "title": "dnacase kinship case (missing-person LR)",
    "description": (
        "One missing-person case, or an array of cases. H1: the person of interest (poi) is the "
        "pedigree member `missing`; H2: the poi is unrelated. Markers are unlinked unless "
        "they carry a chromosome and genetic positions (then linked along each chromosome)."
    ),
    "oneOf": [
        {"$ref": "#/$defs/case"},
        {"type": "array", "items": {"$ref": "#/$defs/case"}},
    ],
    "$defs": {
        "mutationModel": _MODEL,
        "mutation": {
            "description": (
                "null (no mutation: an inconsistency excludes), one model for both sexes, or "
                "separate models for mothers (female) and fathers (male)."
            ),
            "oneOf": [
                {"type": "null"},
                {"$ref": "#/$defs/mutationModel"},
                {
                    "type": "object",
                    "required": ["female", "male"],
                    "properties": {
                        "female": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/mutationModel"}]},
                        "male": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/mutationModel"}]},
                    },
                    "additionalProperties": False,
                },
            ],
        },
        "marker": {
            "type": "object",
            "required": ["name", "frequencies"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "frequencies": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    "description": "complete allele set of the locus, in table order",
                },
                "mutation": {"$ref": "#/$defs/mutation"},
                "null_allele": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "exclusiveMaximum": 1,
                    "description": (
                        "frequency of a silent (null) allele at this marker: a one-peak "
                        "genotype a may then be {a, null}"
                    ),
                },
                "chromosome": {
                    "type": "string",
                    "minLength": 1,
                    "description": (
                        "chromosome of a linked marker: markers with positions on one "
                        "chromosome are linked (Lander-Green HMM, Haldane map function)"
                    ),
                },
                "cm_male": {
                    "type": "number",
                    "minimum": 0,
                    "description": "genetic position in cM on the male map (fathers' meioses)",
                },
                "cm_female": {
                    "type": "number",
                    "minimum": 0,
                    "description": "genetic position in cM on the female map (mothers' meioses)",
                },
                "position_mb": {
                    "type": "number",
                    "minimum": 0,
                    "description": (
                        "GRCh38 position in megabases, converted to cM with the shipped "
                        "deCODE 2019 sex-specific map (instead of cm_male and cm_female)"
                    ),
                },
                "n_individuals": {
                    "type": "integer",
                    "minimum": 1,
                    "description": (
                        "size of the frequency database; enables the 5/2N minimum-frequency "
                        "policy for alleles absent from the table"
                    ),
                },
            },
        },
        "person": {
            "type": "object",
            "required": ["id", "father", "mother", "sex"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "father": {"type": ["string", "null"]},
                "mother": {"type": ["string", "null"]},
                "sex": {"enum": ["M", "F", "U"]},
            },
        },
        "genotype": {
            "type": "array",
            "items": _ALLELE,
            "minItems": 1,
            "maxItems": 2,
            "description": (
                "two allele names, unordered; one allele (one peak) only for a person with a "
                "dropout probability"
            ),
        },
        "case": {
            "type": "object",
            "required": ["id", "markers", "pedigree", "missing", "poi", "genotypes"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "markers": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/marker"}},
                "pedigree": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/person"}},
                "missing": {"type": "string", "minLength": 1},
                "poi": {"type": "string", "minLength": 1},
                "dropout": {
                    "type": "object",
                    "description": (
                        "person -> allele dropout probability per allele copy (0 <= d < 1); "
                        'that person\'s one-peak genotype may be written ["a"] or ["a", "a"]'
                    ),
                    "additionalProperties": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                },
                "genotypes": {
                    "type": "object",
                    "description": "person -> locus -> genotype; absent = untyped",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/$defs/genotype"},
                    },
                },
                # optional lineage markers (mtDNA, Y-STR): schemas/lineage.schema.json
                **{k: {"$ref": f"{LINEAGE_SCHEMA_ID}#/$defs/{d}"} for k, d in _LINEAGE_KEYS},
            },
        },
    },
}
