"""The model registry: versioned bundles in the models prefix, their metadata sidecars, and the
champion/challenger promotion that moves a slot's pointer (`services.core.model_pointer`).

- `bundles`: publish a bundle under a name never used before, with its metadata beside it;
- `holdout`: the recent holdout from the hourly table, and each slot's score on it, through the
  forecaster's own loading and serving code;
- `promotion`: compare, decide, move the pointer (or roll it back) over ports;
- `retrain`: retrain a slot from the hourly table, publish the challenger, promote it if it wins
  (what the scheduled training job runs);
- `training_job`: the SageMaker training container's entry (`docker run IMAGE train`).
"""
