"""Typed exceptions of the shared core. Boundaries (handlers, the CLI) turn them into responses."""


class WattcastError(Exception):
    """Base class of every error Wattcast raises on purpose."""


class SettingsError(WattcastError):
    """A setting from the environment or an argument has an invalid value."""


class PublishError(WattcastError):
    """Records could not be published to a stream."""


class DependencyError(WattcastError):
    """An AWS dependency (S3, DynamoDB, Kinesis, SQS, the SageMaker endpoint) failed. Raised by the
    ports with the cause chained; the pipelines fail the affected records, which the event source
    mapping retries."""
