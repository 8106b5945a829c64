"""The forecaster: a SageMaker bring-your-own-container server for Wattcast's model bundles."""
