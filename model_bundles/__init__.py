"""The sources of each model bundle's `code/inference.py`, shipped as package data so that the packager
finds them from an installed wheel as well as from a checkout (`handler_source`)."""

from importlib.resources import files
from importlib.resources.abc import Traversable


def handler_source(flavour: str) -> Traversable:
    """`model_bundles/<flavour>/code/inference.py`."""
    return files(__name__) / flavour / "code" / "inference.py"
