"""Per-household Prophet on Apache Spark: `groupBy(household_id).applyInPandas(train_one)`.

The input is the fleet's hourly Parquet (`scripts.data.parquet_fleet`: `wattcast data export-parquet`
writes it from the hourly table or the simulated fleet). Each group, one household's rows, is put back
on its hourly grid and trained by `scripts.training.prophet.train_one`, the function the process pool
runs; the executor writes the bundle to the models prefix (a folder, or `s3://bucket/prefix` through
boto3) and returns the household's summary row to the driver, which writes the run's metrics.json.

Locally the master is `local[N]`, bound to 127.0.0.1 with the UI off: nothing listens beyond loopback.
On AWS (EMR Serverless or Glue) the same job reads the export from S3: `--parquet s3://bucket/path/`
there (EMRFS and Glue resolve s3://), or `s3a://bucket/path/` on any Spark with the Hadoop S3A
connector (hadoop-aws and its AWS SDK on the classpath, e.g. spark.jars.packages
org.apache.hadoop:hadoop-aws:<the Hadoop version pyspark bundles>); the executors' role gives the
access, and `--models-prefix s3://bucket/prefix` makes the executors write the bundles with boto3.
Local mode reads only local paths here: this machine has no S3A jars and no network.

`--raw-archive` reads the S3 raw archive instead (ingest's gzipped JSON lines, `s3://bucket/raw/` on
EMR Serverless, a folder locally): Spark reads the lines, each household's readings go to one group,
which keeps the first reading of each minute and aggregates the hours as ingest does
(`scripts.data.raw_archive.household_hours`), and the hourly rows are trained as the Parquet's are.
On AWS the job runs on EMR Serverless (terraform/modules/spark_training, docker/spark.Dockerfile).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from scripts.data import parquet_fleet as pf
from scripts.data import raw_archive
from scripts.training import prophet as training
from scripts.training.engines.output import ModelsPrefix
from services.core import features
from services.core.errors import WattcastError

RESULT_SCHEMA = "household_id string, summary string"
LOOPBACK = "127.0.0.1"
SUBMITTED = "submit"  # --spark-master submit: the master spark-submit was given (EMR Serverless, a cluster)
TASKS_PER_CORE = 4  # a few groups' partitions per core, so a slow partition does not idle the others


class SparkJobError(WattcastError):
    """The Spark job could not start or a household's task failed."""


@dataclass(frozen=True)
class SparkOptions:
    parquet: str | None = None  # the hourly export: a local path, or s3://bucket/path on a cluster
    master: str = "local[2]"
    partitions: int | None = None  # groups' shuffle partitions (default TASKS_PER_CORE x cores)
    raw_archive: str | None = None  # or the raw archive's root: a folder, or s3://bucket/raw/

    def __post_init__(self) -> None:
        if (self.parquet is None) == (self.raw_archive is None):
            raise SparkJobError("give the job one input: parquet or raw_archive")

    @property
    def source(self) -> str:
        return self.parquet or self.raw_archive or ""


def local_master(workers: int) -> str:
    return f"local[{max(1, workers)}]"


def spark_session(master: str, partitions: int) -> Any:
    """A session on `master`; in local mode the driver binds to 127.0.0.1 only and serves no UI.
    SUBMITTED takes the master and the driver's address from spark-submit (EMR Serverless)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("wattcast-prophet")
    if master != SUBMITTED:
        builder = _local_builder(builder.master(master))
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.adaptive.enabled", "false")  # keep the partitions asked for: groups are CPU-bound
        .config("spark.python.worker.reuse", "true")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / Java start-up errors have no common base
        raise SparkJobError(f"Spark could not start on {master}: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def _local_builder(builder: Any) -> Any:
    # read by the launcher when the JVM starts: without it Spark resolves the host's name and may bind to it
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        builder.config("spark.driver.host", LOOPBACK)
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )


def cores_of(master: str) -> int:
    """N of local[N] (the CPU count for local[*]); 2 for a cluster or SUBMITTED (set --spark-partitions)."""
    if master.startswith("local[") and master.endswith("]"):
        inner = master[len("local[") : -1].split(",", maxsplit=1)[0]
        return (os.cpu_count() or 1) if inner == "*" else int(inner)
    return 1 if master == "local" else 2


def household_task(
    settings: training.FitSettings, prefix: str, plotted: str
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The applyInPandas function: one household's rows -> train_one -> its files -> its summary row."""

    def train_group(rows: pd.DataFrame) -> pd.DataFrame:
        household_id = str(rows[pf.KEY].iloc[0])
        group_settings = replace(settings, plot=household_id == plotted)
        result = training.train_one(household_id, pf.frame_series(rows), group_settings)
        ModelsPrefix.of(prefix).write_household(result)
        return pd.DataFrame({"household_id": [household_id], "summary": [json.dumps(result.summary())]})

    return train_group


def train_prophet_spark(
    options: training.ProphetOptions, spark: SparkOptions, households: Sequence[str] = ()
) -> dict[str, Any]:
    """One model per household of the Parquet input (only `households` when given) on Spark; the
    run's summary (metrics.json), with the session's start-up time apart from the job's."""
    starting = time.monotonic()
    cores = cores_of(spark.master)
    session = spark_session(spark.master, spark.partitions or TASKS_PER_CORE * cores)
    startup = time.monotonic() - starting
    try:
        started = time.monotonic()
        rows = _collect(session, options, spark, households)
        seconds = time.monotonic() - started
    finally:
        session.stop()
    results = [json.loads(row["summary"]) for row in rows]
    if not results:
        raise SparkJobError(f"{spark.source} holds no hours of the households asked for")
    summary = {
        **training.fleet_summary(results, seconds, "spark", cores),
        "spark_master": spark.master,
        "spark_startup_seconds": round(startup, 1),
    }
    training.write_summary(options, summary)
    return summary


def _collect(
    session: Any, options: training.ProphetOptions, spark: SparkOptions, households: Sequence[str]
) -> list[Any]:
    source = source_frame(session, spark, households)
    plotted = households[0] if households else _first_household(source)  # a scan, not the aggregation
    frame = hourly_rows(spark, source).select(pf.KEY, pf.HOUR, *features.HOURLY_MEASURES)
    task = household_task(training.settings_of(options), options.prefix, plotted)
    try:
        return list(frame.groupBy(pf.KEY).applyInPandas(task, schema=RESULT_SCHEMA).collect())
    except Exception as exc:  # a task's Python error reaches the driver as a Py4J/Spark exception
        raise SparkJobError(f"the Spark job failed: {str(exc).splitlines()[0]}") from exc


def source_frame(session: Any, spark: SparkOptions, households: Sequence[str] = ()) -> Any:
    """The input as read: the export's hourly rows, or the raw archive's readings (both keyed by KEY)."""
    from pyspark.sql import functions as F

    if spark.parquet is not None:
        frame = session.read.parquet(spark.parquet)
    else:
        frame = session.read.schema(raw_archive.READINGS_DDL).json(raw_archive.archive_glob(spark.source))
    return frame.where(F.col(pf.KEY).isin(list(households))) if households else frame


def hourly_rows(spark: SparkOptions, source: Any) -> Any:
    """source_frame's rows as hourly rows: the raw archive's readings deduplicated and aggregated per
    household (scripts.data.raw_archive.household_hours), the export's as they are."""
    if spark.parquet is not None:
        return source
    return source.groupBy(pf.KEY).applyInPandas(raw_archive.household_hours, schema=pf.SPARK_DDL)


def _first_household(frame: Any) -> str:
    from pyspark.sql import functions as F

    first = frame.agg(F.min(pf.KEY)).first()
    return str(first[0]) if first is not None and first[0] is not None else ""


def main(argv: Sequence[str] | None = None) -> int:
    """The EMR Serverless entry point (sparkSubmit.entryPoint local:///opt/program/scripts/training/
    engines/spark.py): `wattcast train prophet --engine spark --spark-master submit` plus its arguments
    (--raw-archive or --parquet, --models-prefix, --train-end, ...)."""
    from scripts.cli import main as wattcast

    arguments = list(sys.argv[1:] if argv is None else argv)
    return wattcast(["train", "prophet", "--engine", "spark", "--spark-master", SUBMITTED, *arguments])


if __name__ == "__main__":
    sys.path.pop(0)  # this file's folder: its modules (output, spark) must not shadow top-level ones
    sys.exit(main())
