"""Production accuracy: forecasts scored against what happened, rolling error, drift."""
