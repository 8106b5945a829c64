from services.core.errors import WattcastError


class IngestError(WattcastError):
    """Base class of the ingest service's errors."""


class DependencyError(IngestError):
    """An AWS dependency (S3, DynamoDB, Kinesis, SQS) failed; the affected records are retried."""
