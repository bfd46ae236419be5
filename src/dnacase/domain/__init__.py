"""Pure domain logic of the collection desk: no database, web or framework imports.

Modules:

- :mod:`dnacase.domain.names` -- Vietnamese diacritic-insensitive name keys for search.
- :mod:`dnacase.domain.accession` -- accession numbers and barcodes with ISO 7064 check digits.
- :mod:`dnacase.domain.kit_states` -- the kit life cycle as a pure transition table.
- :mod:`dnacase.domain.relationships` -- the relationship vocabulary staff use.
- :mod:`dnacase.domain.family` -- building a family pedigree from recorded relationships.
- :mod:`dnacase.domain.pedigree_svg` -- drawing that pedigree as SVG.
"""
