"""Typed exceptions of the shared core. Boundaries (handlers, the CLI) turn them into responses."""


class WattcastError(Exception):
    """Base class of every error Wattcast raises on purpose."""


class SettingsError(WattcastError):
    """A setting from the environment or an argument has an invalid value."""


class DataError(WattcastError):
    """A data file cannot be read or does not have the expected format."""


class PublishError(WattcastError):
    """Records could not be published to a stream."""
