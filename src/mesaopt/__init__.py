"""mesaopt: a laboratory for the conditions of mesa-optimization."""

__version__ = "0.1.0"
