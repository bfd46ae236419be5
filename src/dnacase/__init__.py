"""dnacase: DNA identification case management for the identification of war dead.

Layers (data flows one way): ``web``/``cli`` -> ``services`` -> ``models``, ``formats``,
``kinship``. ``kinship`` is a pure numpy library and imports nothing else from dnacase.
"""

__version__ = "0.1.0"
