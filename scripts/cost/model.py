"""The cost model: measured usage (usage.py) x what Terraform deploys (sizing.py) x dated public prices
(prices.py) -> monthly USD per item, for N households. Pure arithmetic; nothing here calls AWS.

A month is 730 hours (AWS's convention). Each line says its basis: measured (the usage file),
configured (Terraform's defaults) or assumed (Assumptions, printed with the table).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scripts.cost.errors import CostInputError
from scripts.cost.prices import DEFAULT_PRICES, PriceBook
from scripts.cost.sizing import Sizing
from scripts.cost.usage import DEFAULT_USAGE, FunctionUsage, Usage

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GIB = 2**30
SHARD_RECORDS_PER_S = 1000
SHARD_BYTES_PER_S = 1_000_000  # 1 MB/s in per shard
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
ON_DEMAND_RECORD_BYTES = 1024  # on-demand rounds every record up to 1 KB
ROUTES = ("endpoint", "batch")  # the projection_route setting's values
KINESIS_MODES = ("on-demand", "provisioned")
LAMBDA_DURATIONS = ("cpu+latency", "emulator")
Basis = Literal["measured", "configured", "assumed", "estimated"]


def _latencies() -> dict[str, float]:
    # typical in-region p50 of one call from Lambda, seconds (not measured here)
    return {
        "dynamodb": 0.005,
        "kinesis": 0.02,
        "s3": 0.025,
        "sqs": 0.01,
        "sns": 0.02,
        "sagemaker-runtime": 0.05,
    }


@dataclass(frozen=True)
class Assumptions:
    """What the replay cannot measure. Each is printed with the table; change them in code or tests."""

    retention_months: float = 12.0  # hourly rows, forecasts and the raw archive kept this long
    log_bytes_per_invocation: float = 1500.0  # START, END, REPORT and one JSON line per batch
    custom_metrics: int = 30  # EMF metrics of the services (namespace x dimensions)
    alarms: int = 44  # every alarm of a full deployment (envs/local creates 44)
    dashboards: int = 1
    image_gb: float = 6.0  # six repositories, one current image each (the slim forecaster 0.6 GB)
    kms_requests_per_resource_hour: float = 12.0  # services cache data keys about 5 minutes
    kms_resources: int = 10  # 3 streams, 6 tables, the bucket
    lstm_window_s: float = 3600.0  # the hour's forecasts are spread over the hour
    projection_window_s: float = 3600.0  # the 23:00 projections must be done within this
    batch_memory_gb_per_vcpu: float = 4.0  # EMR Serverless worker shape 4 vCPU / 16 GB (retraining)
    batch_job_overhead_vcpu_hours: float = 0.5  # driver and start-up of one Spark job (retraining)
    processing_startup_hours: float = 0.1  # a Processing instance's provisioning and image pull, billed
    prophet_fit_s: float = 0.15  # one fit on two years of daily kWh (issue 17)
    prophet_retrain_weeks_per_month: float = 52 / 12
    lstm_retraining_hours_per_month: float = 4.0 * 52 / 12  # weekly, at most max_runtime (4 h)
    portal_active_share: float = 0.25  # households signing in at least once a month
    portal_requests_per_active_household: float = 40.0
    portal_request_s: float = 0.05  # handler time of one API request
    call_latency_s: dict[str, float] = field(default_factory=_latencies)


@dataclass(frozen=True)
class CostOptions:
    households: int
    readings_per_hour: float = 60.0
    readings_per_record: int = 1
    projection_route: str = "endpoint"
    kinesis_mode: str = "on-demand"
    lambda_duration: str = "cpu+latency"
    usage: Path = DEFAULT_USAGE
    prices: Path = DEFAULT_PRICES
    json: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.households, int) or self.households <= 0:
            raise CostInputError(f"households must be a whole number > 0, got {self.households!r}")
        if self.readings_per_hour <= 0:
            raise CostInputError(f"readings per hour must be > 0, got {self.readings_per_hour}")
        if self.readings_per_record < 1:
            raise CostInputError(f"readings per record must be >= 1, got {self.readings_per_record}")
        if self.projection_route not in ROUTES:
            raise CostInputError(f"projection route must be one of {ROUTES}, got {self.projection_route!r}")
        if self.lambda_duration not in LAMBDA_DURATIONS:
            raise CostInputError(
                f"Lambda duration must be one of {LAMBDA_DURATIONS}, got {self.lambda_duration!r}"
            )
        if self.kinesis_mode not in KINESIS_MODES:
            raise CostInputError(f"Kinesis mode must be one of {KINESIS_MODES}, got {self.kinesis_mode!r}")


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    unit: str
    usd: float
    basis: Basis


@dataclass(frozen=True)
class CostReport:
    options: CostOptions
    lines: list[CostLine]
    prices_as_of: str
    usage_measured_at: str
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def per_household(self) -> float:
        return self.total / self.options.households

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, 0.0) + line.usd
        return totals


@dataclass(frozen=True)
class Volumes:
    """Monthly drivers: readings, household-hours, household-days."""

    households: int
    readings: float
    household_hours: float
    household_days: float

    @classmethod
    def of(cls, options: CostOptions) -> Volumes:
        n = options.households
        return cls(
            n, n * options.readings_per_hour * HOURS_PER_MONTH, n * HOURS_PER_MONTH, n * DAYS_PER_MONTH
        )

    def units(self, function: FunctionUsage) -> float:
        return self.readings if function.per == "reading" else self.household_hours


def line(service: str, item: str, quantity: float, unit: str, price: float, *, basis: Basis) -> CostLine:
    return CostLine(service, item, quantity, unit, quantity * price, basis)


# ---------------------------------------------------------------- Kinesis


@dataclass(frozen=True)
class StreamLoad:
    name: str
    records: float  # a month
    bytes_per_record: float
    consumers: int

    @property
    def records_per_s(self) -> float:
        return self.records / SECONDS_PER_MONTH


def stream_loads(usage: Usage, volumes: Volumes, options: CostOptions, sizing: Sizing) -> list[StreamLoad]:
    """The three streams' monthly records. The ingest function's hour-closed events are per reading in
    the usage file; one is emitted per household-hour, so they are rescaled to the replay's rate."""
    per_record = options.readings_per_record
    loads = [
        StreamLoad(
            "readings",
            volumes.readings / per_record,
            usage.readings_bytes_per_reading * per_record,
            sizing.stream_consumers["readings"],
        )
    ]
    replay_readings_per_hour = float(usage.replay["readings_per_household_hour"])
    for stream in ("hourly", "forecasted"):
        records = bytes_ = 0.0
        for function in usage.functions.values():
            count = function.kinesis_records.get(stream, 0.0)
            size = function.kinesis_bytes.get(stream, 0.0)
            scale = replay_readings_per_hour if function.per == "reading" else 1.0
            records += count * scale * volumes.household_hours
            bytes_ += size * scale * volumes.household_hours
        loads.append(
            StreamLoad(stream, records, bytes_ / records if records else 0.0, sizing.stream_consumers[stream])
        )
    return loads


def provisioned_shards(load: StreamLoad) -> int:
    by_records = load.records_per_s / SHARD_RECORDS_PER_S
    by_bytes = load.records_per_s * load.bytes_per_record / SHARD_BYTES_PER_S
    return max(1, math.ceil(max(by_records, by_bytes)))


def kinesis_lines(loads: Iterable[StreamLoad], mode: str, prices: PriceBook) -> list[CostLine]:
    lines = []
    for load in loads:
        if mode == "provisioned":
            shards = provisioned_shards(load)
            units = load.records * max(1, math.ceil(load.bytes_per_record / PUT_PAYLOAD_UNIT_BYTES))
            lines += [
                line(
                    "Kinesis",
                    f"{load.name}: {shards} shards",
                    shards * HOURS_PER_MONTH,
                    "shard-hours",
                    prices.each("kinesis_provisioned_shard_hour"),
                    basis="measured",
                ),
                line(
                    "Kinesis",
                    f"{load.name}: PUT payload units",
                    units,
                    "units",
                    prices.each("kinesis_provisioned_put_payload_unit"),
                    basis="measured",
                ),
            ]
        else:
            billed = load.records * math.ceil(load.bytes_per_record / ON_DEMAND_RECORD_BYTES) * 1024 / GIB
            lines += [
                line(
                    "Kinesis",
                    f"{load.name}: on-demand stream",
                    HOURS_PER_MONTH,
                    "stream-hours",
                    prices.each("kinesis_on_demand_stream_hour"),
                    basis="configured",
                ),
                line(
                    "Kinesis",
                    f"{load.name}: data in",
                    billed,
                    "GB",
                    prices.each("kinesis_on_demand_ingest_gb"),
                    basis="measured",
                ),
                line(
                    "Kinesis",
                    f"{load.name}: data out x{load.consumers} consumers",
                    billed * load.consumers,
                    "GB",
                    prices.each("kinesis_on_demand_retrieval_gb"),
                    basis="measured",
                ),
            ]
    return lines


# ---------------------------------------------------------------- Lambda


def gb_second_price(prices: PriceBook, architecture: str) -> float:
    return prices.each(f"lambda_gb_second_{architecture}")


def billed_seconds(function: FunctionUsage, mode: str, assumptions: Assumptions) -> float:
    """Handler seconds per unit. "emulator": the wall time measured against moto, which serves one
    call at a time (an upper bound). "cpu+latency": the handler thread's measured CPU time plus each
    AWS call at a typical in-region latency (Assumptions.call_latency_s)."""
    if mode == "emulator":
        return function.handler_seconds
    if function.handler_seconds and not function.handler_cpu_seconds:
        raise CostInputError(
            "the usage file has no handler CPU time: rerun `wattcast cost measure` or use "
            "--lambda-duration emulator"
        )
    waiting = sum(
        count * assumptions.call_latency_s.get(name.split(".")[0], 0.0)
        for name, count in function.calls.items()
    )
    return function.handler_cpu_seconds + waiting


def lambda_lines(
    usage: Usage,
    volumes: Volumes,
    sizing: Sizing,
    prices: PriceBook,
    assumptions: Assumptions,
    *,
    mode: str = "cpu+latency",
) -> list[CostLine]:
    gb_s = gb_second_price(prices, sizing.architecture)
    basis: Basis = "measured" if mode == "emulator" else "estimated"
    lines = []
    for name, function in usage.functions.items():
        units = volumes.units(function)
        memory_gb = sizing.memory_mb[name] / 1024
        lines += [
            line(
                "Lambda",
                f"{name}: requests",
                function.invocations * units,
                "requests",
                prices.each("lambda_request"),
                basis="measured",
            ),
            line(
                "Lambda",
                f"{name}: {sizing.memory_mb[name]} MB",
                billed_seconds(function, mode, assumptions) * units * memory_gb,
                "GB-s",
                gb_s,
                basis=basis,
            ),
        ]
    requests = portal_requests(volumes, assumptions)
    lines += [
        line(
            "Lambda", "portal: requests", requests, "requests", prices.each("lambda_request"), basis="assumed"
        ),
        line(
            "Lambda",
            f"portal: {sizing.memory_mb['portal']} MB",
            requests * assumptions.portal_request_s * sizing.memory_mb["portal"] / 1024,
            "GB-s",
            gb_s,
            basis="assumed",
        ),
    ]
    return lines


def portal_requests(volumes: Volumes, assumptions: Assumptions) -> float:
    return (
        volumes.households
        * assumptions.portal_active_share
        * assumptions.portal_requests_per_active_household
    )


# ---------------------------------------------------------------- DynamoDB, S3, queues, topics


def dynamodb_lines(
    usage: Usage, volumes: Volumes, prices: PriceBook, assumptions: Assumptions
) -> list[CostLine]:
    functions = list(usage.functions.values())
    writes = sum(f.dynamodb_write_units * volumes.units(f) for f in functions)
    reads = sum(f.dynamodb_read_units * volumes.units(f) for f in functions)
    stored = sum(usage.dynamodb_bytes_per_household_hour.values()) * volumes.household_hours
    stored_gb = stored * assumptions.retention_months / GIB
    return [
        line(
            "DynamoDB",
            "write request units",
            writes,
            "WRU",
            prices.each("dynamodb_write_request_unit"),
            basis="measured",
        ),
        line(
            "DynamoDB",
            "read request units",
            reads,
            "RRU",
            prices.each("dynamodb_read_request_unit"),
            basis="measured",
        ),
        line(
            "DynamoDB",
            f"storage ({assumptions.retention_months:g} months kept)",
            stored_gb,
            "GB-month",
            prices.each("dynamodb_storage_gb_month"),
            basis="measured",
        ),
    ]


def s3_lines(usage: Usage, volumes: Volumes, prices: PriceBook, assumptions: Assumptions) -> list[CostLine]:
    functions = list(usage.functions.values())
    puts = sum(f.call("s3", ("PutObject",)) * volumes.units(f) for f in functions)
    gets = sum(f.call("s3", ("GetObject",)) * volumes.units(f) for f in functions)
    stored = sum(f.s3_bytes_written * volumes.units(f) for f in functions) * assumptions.retention_months
    return [
        line(
            "S3",
            "PUT requests (raw archive, statements)",
            puts,
            "requests",
            prices.each("s3_put_request"),
            basis="measured",
        ),
        line(
            "S3",
            "GET requests (functions)",
            gets,
            "requests",
            prices.each("s3_get_request"),
            basis="measured",
        ),
        line(
            "S3",
            "Prophet bundles fetched (one a household-day)",
            volumes.household_days,
            "requests",
            prices.each("s3_get_request"),
            basis="measured",
        ),
        line(
            "S3",
            f"storage ({assumptions.retention_months:g} months kept)",
            stored / GIB,
            "GB-month",
            prices.each("s3_storage_gb_month"),
            basis="measured",
        ),
    ]


def messaging_lines(
    usage: Usage, volumes: Volumes, prices: PriceBook, assumptions: Assumptions
) -> list[CostLine]:
    functions = list(usage.functions.values())
    sqs = sum(f.call("sqs") * volumes.units(f) for f in functions)
    sns = sum(f.call("sns", ("Publish",)) * volumes.units(f) for f in functions)
    kms = assumptions.kms_requests_per_resource_hour * assumptions.kms_resources * HOURS_PER_MONTH
    requests = portal_requests(volumes, assumptions)
    return [
        line(
            "SQS",
            "requests (rejected readings)",
            sqs,
            "requests",
            prices.each("sqs_request"),
            basis="measured",
        ),
        line("SNS", "publishes (alerts)", sns, "publishes", prices.each("sns_publish"), basis="measured"),
        line(
            "KMS", "customer managed key", 1, "key-months", prices.each("kms_key_month"), basis="configured"
        ),
        line(
            "KMS",
            "requests (data keys of streams, tables, bucket)",
            kms,
            "requests",
            prices.each("kms_request"),
            basis="assumed",
        ),
        line(
            "API Gateway",
            "HTTP API requests",
            requests,
            "requests",
            prices.each("api_gateway_http_request"),
            basis="assumed",
        ),
        line(
            "Cognito",
            "monthly active users beyond 10,000",
            max(0.0, volumes.households * assumptions.portal_active_share - 10_000),
            "MAU",
            prices.each("cognito_essentials_mau"),
            basis="assumed",
        ),
        line(
            "ECR",
            "image storage",
            assumptions.image_gb,
            "GB-month",
            prices.each("ecr_storage_gb_month"),
            basis="assumed",
        ),
    ]


# ---------------------------------------------------------------- CloudWatch


def cloudwatch_lines(
    usage: Usage, volumes: Volumes, prices: PriceBook, assumptions: Assumptions, sizing: Sizing
) -> list[CostLine]:
    invocations = sum(f.invocations * volumes.units(f) for f in usage.functions.values())
    invocations += portal_requests(volumes, assumptions)
    logs_gb = invocations * assumptions.log_bytes_per_invocation / GIB
    # stored logs: what a year's retention holds at steady state, compressed about 4x (an assumption)
    kept_months = min(sizing.log_retention_days / 30.4, 12.0)
    return [
        line(
            "CloudWatch",
            "alarms",
            assumptions.alarms,
            "alarm-months",
            prices.each("cloudwatch_alarm_month"),
            basis="configured",
        ),
        line(
            "CloudWatch",
            "dashboard",
            assumptions.dashboards,
            "dashboards",
            prices.each("cloudwatch_dashboard_month"),
            basis="configured",
        ),
        line(
            "CloudWatch",
            "custom metrics (EMF)",
            assumptions.custom_metrics,
            "metric-months",
            prices.each("cloudwatch_custom_metric_month"),
            basis="assumed",
        ),
        line(
            "CloudWatch",
            "logs ingested",
            logs_gb,
            "GB",
            prices.each("cloudwatch_logs_ingest_gb"),
            basis="assumed",
        ),
        line(
            "CloudWatch",
            f"logs stored ({sizing.log_retention_days} days)",
            logs_gb * kept_months / 4,
            "GB-month",
            prices.each("cloudwatch_logs_storage_gb_month"),
            basis="assumed",
        ),
    ]


# ---------------------------------------------------------------- SageMaker and the projection routes


def instance_price(prices: PriceBook, kind: str, instance_type: str) -> float:
    return prices.each(f"sagemaker_{kind}_{instance_type.replace('.', '_')}_hour")


def lstm_instances(usage: Usage, volumes: Volumes, sizing: Sizing, assumptions: Assumptions) -> int:
    """Instances that serve every household's next-hours forecast within the window each hour."""
    rate = volumes.households / assumptions.lstm_window_s
    needed = math.ceil(rate / usage.forecaster.lstm_forecasts_per_s_per_instance)
    return max(sizing.endpoint_min_capacity, needed)


def endpoint_burst_instances(usage: Usage, volumes: Volumes, sizing: Sizing, assumptions: Assumptions) -> int:
    """Extra instances for the 23:00 projections: each a cold load, one per worker at a time."""
    instance_seconds = volumes.households * usage.forecaster.prophet_cold_load_s / sizing.endpoint_workers
    return math.ceil(instance_seconds / assumptions.projection_window_s)


def sagemaker_lines(
    usage: Usage, volumes: Volumes, sizing: Sizing, prices: PriceBook, assumptions: Assumptions
) -> list[CostLine]:
    hourly = instance_price(prices, "realtime", sizing.endpoint_instance_type)
    instances = lstm_instances(usage, volumes, sizing, assumptions)
    training = instance_price(prices, "training", sizing.retraining_instance_type)
    return [
        line(
            "SageMaker",
            f"endpoint: {instances} x {sizing.endpoint_instance_type} (LSTM next hours)",
            instances * HOURS_PER_MONTH,
            "instance-hours",
            hourly,
            basis="measured",
        ),
        line(
            "SageMaker",
            "LSTM retraining (weekly, at most max_runtime)",
            assumptions.lstm_retraining_hours_per_month,
            "instance-hours",
            training,
            basis="configured",
        ),
    ]


def projection_lines(
    usage: Usage, volumes: Volumes, sizing: Sizing, prices: PriceBook, assumptions: Assumptions, *, route: str
) -> list[CostLine]:
    """The nightly month projections (one a household-day) by the chosen route."""
    days = DAYS_PER_MONTH
    if route == "endpoint":
        burst = endpoint_burst_instances(usage, volumes, sizing, assumptions)
        hours = burst * assumptions.projection_window_s / 3600 * days
        waiting = volumes.household_days * usage.forecaster.prophet_cold_load_s
        return [
            line(
                "SageMaker",
                f"projections: {burst} x {sizing.endpoint_instance_type} for the 23:00 cold loads",
                hours,
                "instance-hours",
                instance_price(prices, "realtime", sizing.endpoint_instance_type),
                basis="measured",
            ),
            line(
                "Lambda",
                "preprocess waiting on the cold loads",
                waiting * sizing.memory_mb["preprocess"] / 1024,
                "GB-s",
                gb_second_price(prices, sizing.architecture),
                basis="measured",
            ),
        ]
    # The nightly job (modules/nightly_projections): a SageMaker Processing job in the forecaster image,
    # one process per vCPU on each instance, each household a warm-process load and answer.
    busy_hours = volumes.household_days * usage.forecaster.prophet_warm_projection_s / 3600
    instance_hours = busy_hours / sizing.projections_processes + (
        sizing.projections_instance_count * assumptions.processing_startup_hours * days
    )
    return [
        line(
            "SageMaker",
            f"nightly projections: {sizing.projections_instance_type} processing job",
            instance_hours,
            "instance-hours",
            instance_price(prices, "processing", sizing.projections_instance_type),
            basis="measured",
        ),
    ]


def retraining_lines(volumes: Volumes, prices: PriceBook, assumptions: Assumptions) -> list[CostLine]:
    """Weekly per-household Prophet fits on EMR Serverless (issue 17's Spark job), one bundle each."""
    fits = volumes.households * assumptions.prophet_retrain_weeks_per_month
    vcpu_hours = fits * assumptions.prophet_fit_s / 3600 + assumptions.batch_job_overhead_vcpu_hours
    return [
        line(
            "EMR Serverless",
            "Prophet retraining (weekly): vCPU",
            vcpu_hours,
            "vCPU-hours",
            prices.each("emr_serverless_vcpu_hour"),
            basis="assumed",
        ),
        line(
            "EMR Serverless",
            "Prophet retraining (weekly): memory",
            vcpu_hours * assumptions.batch_memory_gb_per_vcpu,
            "GB-hours",
            prices.each("emr_serverless_gb_hour"),
            basis="assumed",
        ),
        line(
            "S3",
            "Prophet bundles written (weekly)",
            fits,
            "requests",
            prices.each("s3_put_request"),
            basis="assumed",
        ),
    ]


# ---------------------------------------------------------------- the whole


def monthly_cost(
    options: CostOptions,
    usage: Usage,
    prices: PriceBook,
    sizing: Sizing | None = None,
    assumptions: Assumptions | None = None,
) -> CostReport:
    sizing = sizing or Sizing()
    assumptions = assumptions or Assumptions()
    volumes = Volumes.of(options)
    lines = [
        *kinesis_lines(stream_loads(usage, volumes, options, sizing), options.kinesis_mode, prices),
        *lambda_lines(usage, volumes, sizing, prices, assumptions, mode=options.lambda_duration),
        *dynamodb_lines(usage, volumes, prices, assumptions),
        *s3_lines(usage, volumes, prices, assumptions),
        *sagemaker_lines(usage, volumes, sizing, prices, assumptions),
        *projection_lines(usage, volumes, sizing, prices, assumptions, route=options.projection_route),
        *retraining_lines(volumes, prices, assumptions),
        *messaging_lines(usage, volumes, prices, assumptions),
        *cloudwatch_lines(usage, volumes, prices, assumptions, sizing),
    ]
    return CostReport(
        options,
        lines,
        prices.as_of.isoformat(),
        usage.measured_at,
        warnings(options, usage, volumes, sizing, assumptions),
    )


def warnings(
    options: CostOptions, usage: Usage, volumes: Volumes, sizing: Sizing, assumptions: Assumptions
) -> list[str]:
    found = []
    serving = lstm_instances(usage, volumes, sizing, assumptions)
    if options.projection_route == "endpoint":
        serving += endpoint_burst_instances(usage, volumes, sizing, assumptions)
    if serving > sizing.endpoint_max_capacity:
        found.append(
            f"the endpoint needs {serving} instances at peak; forecaster.autoscaling.max_capacity is "
            f"{sizing.endpoint_max_capacity}"
        )
    return found
