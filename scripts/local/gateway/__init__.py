"""API Gateway's HTTP API on the laptop: a JWT authorizer with a local signing key, and the
translation of HTTP requests into the payload-format-2.0 events the household API's Lambda reads."""
