"""JSON Schema of the lineage-marker part of a kinship case (mtDNA, Y-STR).

Published as ``schemas/lineage.schema.json`` (a test keeps the two identical) and referenced
from the kinship-case schema by its ``$id``. Parsed by :mod:`.casefile`.
"""

from __future__ import annotations

from typing import Any

LINEAGE_SCHEMA_ID = "https://dnacase.org/schemas/lineage.schema.json"

LINEAGE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dnacase.org/schemas/lineage.schema.json",
    "title": "dnacase lineage-marker data (mtDNA, Y-STR) of a kinship case",
    "description": "Optional part of a kinship-case file. Keys sit at the top level of the case: "
    "mtdna, ystr, mtdna_population, ystr_population, mtdna_rules, ystr_rules. "
    "Person ids are the pedigree ids (the remains under the id they are tested "
    "as). mtDNA variants are EMPOP/HaploGrep notation relative to rCRS "
    "(NC_012920), e.g. 16223T, 315.1C/309+CC, 249DEL/249d/249-/249delA, 16093Y; the range must "
    "travel with the haplotype. Y-STR alleles are repeat numbers; multi-copy loci "
    '(DYS385, DYF387S1) are unordered lists; null allele 0 or "null"; empty list '
    "or null = not typed.",
    "type": "object",
    "properties": {
        "mtdna": {"$ref": "#/$defs/mtdna"},
        "ystr": {"$ref": "#/$defs/ystr"},
        "mtdna_population": {"$ref": "#/$defs/mtdnaPopulation"},
        "ystr_population": {"$ref": "#/$defs/ystrPopulation"},
        "mtdna_rules": {"$ref": "#/$defs/mtdnaRules"},
        "ystr_rules": {"$ref": "#/$defs/ystrRules"},
    },
    "$defs": {
        "mtRange": {
            "type": "string",
            "description": 'rCRS positions, e.g. "16024-16569;1-576" or '
            '"16024-576" (wraps round the origin).',
            "pattern": "^\\s*[0-9]+(-[0-9]+)?([;,\\s]+[0-9]+(-[0-9]+)?)*\\s*$",
        },
        "mtHaplotype": {
            "type": "object",
            "required": ["range", "variants"],
            "properties": {
                "range": {"$ref": "#/$defs/mtRange"},
                "variants": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "string", "minLength": 2}},
                        {"type": "string", "description": "blank or tab separated variants"},
                    ]
                },
                "haplogroup": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "mtdna": {
            "type": "object",
            "description": "person id -> mtDNA haplotype",
            "additionalProperties": {"$ref": "#/$defs/mtHaplotype"},
        },
        "yAlleles": {
            "oneOf": [
                {
                    "type": "array",
                    "items": {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
                },
                {"type": "string", "description": '"12,19", "17.2", "null" or "" (not typed)'},
                {"type": "number", "minimum": 0},
                {"type": "null"},
            ]
        },
        "yHaplotype": {
            "type": "object",
            "description": "locus -> alleles",
            "additionalProperties": {"$ref": "#/$defs/yAlleles"},
        },
        "ystr": {
            "type": "object",
            "description": "person id -> Y-STR haplotype",
            "additionalProperties": {"$ref": "#/$defs/yHaplotype"},
        },
        "counts": {
            "type": "object",
            "description": "a ready count: the remains' haplotype seen `count` times among `n`",
            "required": ["count", "n"],
            "properties": {
                "name": {"type": "string"},
                "count": {"type": "integer", "minimum": 0},
                "n": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
        },
        "mtdnaPopulation": {
            "oneOf": [
                {"$ref": "#/$defs/counts"},
                {
                    "type": "object",
                    "required": ["name", "haplotypes"],
                    "properties": {
                        "name": {"type": "string"},
                        "haplotypes": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["range", "variants"],
                                "properties": {
                                    "range": {"$ref": "#/$defs/mtRange"},
                                    "variants": {"$ref": "#/$defs/mtHaplotype/properties/variants"},
                                    "count": {"type": "integer", "minimum": 1},
                                    "haplogroup": {"type": "string"},
                                },
                                "additionalProperties": False,
                            },
                        },
                    },
                    "additionalProperties": False,
                },
            ]
        },
        "ystrPopulation": {
            "oneOf": [
                {"$ref": "#/$defs/counts"},
                {
                    "type": "object",
                    "required": ["name", "haplotypes"],
                    "properties": {
                        "name": {"type": "string"},
                        "haplotypes": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["alleles"],
                                "properties": {
                                    "alleles": {"$ref": "#/$defs/yHaplotype"},
                                    "count": {"type": "integer", "minimum": 1},
                                },
                                "additionalProperties": False,
                            },
                        },
                    },
                    "additionalProperties": False,
                },
            ]
        },
        "mtdnaRules": {
            "type": "object",
            "properties": {
                "ignore_length_variants": {"type": "boolean"},
                "ignored_positions": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": 16569},
                },
                "heteroplasmy_matches_either_base": {"type": "boolean"},
                "inconclusive_at": {"type": "integer", "minimum": 0},
                "exclude_at": {"type": "integer", "minimum": 0},
                "min_overlap_bp": {"type": "integer", "minimum": 1},
                "rate_per_meiosis": {"type": "number", "minimum": 0, "maximum": 1},
                "upper_bound": {"enum": ["one-sided", "two-sided"]},
            },
            "additionalProperties": False,
        },
        "ystrRules": {
            "type": "object",
            "properties": {
                "rates": {
                    "type": "object",
                    "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "default_rate": {"type": "number", "minimum": 0, "maximum": 1},
                "multistep_ratio": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
                "non_stepwise_rate": {"type": "number", "minimum": 0, "maximum": 1},
                "dys389ii_is_total": {"type": "boolean"},
                "inconclusive_at": {"type": "integer", "minimum": 0},
                "exclude_at": {"type": "integer", "minimum": 0},
                "upper_bound": {"enum": ["one-sided", "two-sided"]},
            },
            "additionalProperties": False,
        },
    },
}
