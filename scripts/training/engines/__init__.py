"""Where per-household training runs: the local process pool (scripts.training.prophet) or Apache Spark
(scripts.training.engines.spark), both around `scripts.training.prophet.train_one`, both writing
through `scripts.training.engines.output`."""
