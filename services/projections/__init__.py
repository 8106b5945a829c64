"""The nightly month projections (the batch route, `WATTCAST_PROJECTION_ROUTE=batch`): every household
whose day has closed, projected through its own Prophet bundle (else the default) in one process,
written to the forecasts table as preprocess writes them on the endpoint route. It runs in the
forecaster image (`python -m services.projections`), whose bundle runtime it shares."""
