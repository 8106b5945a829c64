"""The ingest Lambda: readings stream -> S3 raw archive, DynamoDB hourly aggregates, dead letters,
and one "hour closed" event per household-hour on the hourly stream."""
