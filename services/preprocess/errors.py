from services.core.errors import WattcastError


class PreprocessError(WattcastError):
    """Base class of the preprocess service's errors."""


class DependencyError(PreprocessError):
    """DynamoDB or the endpoint failed; the affected records are retried by the event source mapping."""
