"""The cost model's typed error (the CLI prints WattcastError messages and exits 2)."""

from services.core.errors import WattcastError


class CostInputError(WattcastError):
    """An option, the usage file or the price file cannot be priced: a missing price, N <= 0, ..."""
