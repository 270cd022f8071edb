"""The rule engine: ``rule`` (types, ``step``), ``loader`` (files, overrides), ``engine``, ``packs/``."""
