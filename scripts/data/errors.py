from services.core.errors import WattcastError


class DataError(WattcastError):
    """A data file cannot be read, does not have the expected format, or a replay asks the impossible."""
