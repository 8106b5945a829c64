"""The cost model (scripts/cost): its arithmetic against a hand-computed case, the price file, the
sizing against Terraform's defaults, and `wattcast cost`'s output for a given usage file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from scripts.cli import main
from scripts.cost.errors import CostInputError
from scripts.cost.measure import (
    FunctionCounts,
    MeasureOptions,
    counts_json,
    item_bytes,
    read_units,
    usage_from_measurement,
    write_units,
)
from scripts.cost.model import Assumptions, CostOptions, CostReport, monthly_cost
from scripts.cost.prices import DEFAULT_PRICES, Price, PriceBook, load_prices, parse_prices
from scripts.cost.sizing import Sizing
from scripts.cost.usage import (
    FUNCTIONS,
    ForecasterUsage,
    FunctionUsage,
    Usage,
    save_usage,
    usage_from_json,
    usage_to_json,
)

ROOT = Path(__file__).resolve().parents[2]

# Round prices: USD for ONE unit of each.
ROUND_PRICES = {
    "kinesis_provisioned_shard_hour": 0.01,
    "kinesis_provisioned_put_payload_unit": 1e-6,
    "kinesis_on_demand_stream_hour": 0.04,
    "kinesis_on_demand_ingest_gb": 0.1,
    "kinesis_on_demand_retrieval_gb": 0.05,
    "lambda_request": 1e-6,
    "lambda_gb_second_x86_64": 1e-5,
    "lambda_gb_second_arm64": 1e-5,
    "dynamodb_write_request_unit": 1e-6,
    "dynamodb_read_request_unit": 1e-7,
    "dynamodb_storage_gb_month": 0.25,
    "s3_put_request": 1e-5,
    "s3_get_request": 1e-6,
    "s3_storage_gb_month": 0.02,
    "sagemaker_realtime_ml_m5_large_hour": 0.1,
    "sagemaker_training_ml_m5_large_hour": 0.1,
    "sagemaker_processing_ml_m5_large_hour": 0.1,
    "emr_serverless_vcpu_hour": 0.05,
    "emr_serverless_gb_hour": 0.005,
    "cloudwatch_alarm_month": 0.1,
    "cloudwatch_logs_ingest_gb": 0.5,
    "cloudwatch_logs_storage_gb_month": 0.03,
    "cloudwatch_custom_metric_month": 0.3,
    "cloudwatch_dashboard_month": 3.0,
    "sqs_request": 1e-6,
    "sns_publish": 1e-6,
    "kms_key_month": 1.0,
    "kms_request": 1e-6,
    "api_gateway_http_request": 1e-6,
    "cognito_essentials_mau": 0.01,
    "ecr_storage_gb_month": 0.1,
}


def round_prices() -> PriceBook:
    prices = {
        name: Price(name, usd, 1.0, "unit", "https://example.invalid", "test")
        for name, usd in ROUND_PRICES.items()
    }
    return PriceBook(dt.date(2026, 1, 1), "us-east-1", prices)


def quiet(per: str = "household_hour") -> FunctionUsage:
    return FunctionUsage(per=per, invocations=0.0, handler_seconds=0.0)  # type: ignore[arg-type]


def round_usage() -> Usage:
    return Usage(
        produced_by="hand",
        measured_at="2026-01-01T00:00Z",
        replay={"readings_per_household_hour": 60},
        readings_bytes_per_reading=250.0,
        functions={
            "ingest": FunctionUsage(
                per="reading",
                invocations=0.002,  # batches of 500
                handler_seconds=0.0001,  # wall time against the emulator
                handler_cpu_seconds=0.00005,
                calls={"s3.PutObject": 0.002, "dynamodb.BatchWriteItem": 0.01, "sqs.SendMessageBatch": 0.001},
                dynamodb_write_units=0.02,
                kinesis_records={"hourly": 1 / 60},  # one hour-closed event per 60 readings
                kinesis_bytes={"hourly": 200 / 60},
                s3_bytes_written=100.0,
            ),
            "preprocess": FunctionUsage(
                per="household_hour",
                invocations=0.01,
                handler_seconds=0.05,
                handler_cpu_seconds=0.01,
                calls={"sagemaker-runtime.InvokeEndpoint": 0.01},
                dynamodb_write_units=2.0,
                dynamodb_read_units=4.0,
                kinesis_records={"forecasted": 1.0},
                kinesis_bytes={"forecasted": 300.0},
            ),
            "alerts": quiet(),
            "statements": quiet(),
            "accuracy": FunctionUsage(
                per="household_hour", invocations=0.01, handler_seconds=0.02, handler_cpu_seconds=0.02
            ),
        },
        forecaster=ForecasterUsage(
            lstm_forecasts_per_s_per_instance=100.0,
            prophet_cold_load_s=0.6,
            prophet_warm_projection_s=0.02,
            prophet_model_mb=1.0,
        ),
        dynamodb_bytes_per_household_hour={"hourly": 500.0, "forecasts": 500.0},
    )


def cost(
    route: str = "endpoint", mode: str = "provisioned", households: int = 1000, duration: str = "cpu+latency"
) -> CostReport:
    options = CostOptions(
        households=households, projection_route=route, kinesis_mode=mode, lambda_duration=duration
    )
    return monthly_cost(options, round_usage(), round_prices(), Sizing(), Assumptions())


def usd(report: CostReport, service: str, item_start: str) -> float:
    (found,) = [
        line.usd for line in report.lines if line.service == service and line.item.startswith(item_start)
    ]
    return found


# Hand computation, 1,000 households, 60 readings/h, one reading per record, a 730-hour month:
#   readings         = 1000 * 60 * 730          = 43,800,000
#   household-hours  = 1000 * 730               = 730,000
#   household-days   = 1000 * 730 / 24          = 30,416.667
READINGS, HOUSEHOLD_HOURS, HOUSEHOLD_DAYS = 43_800_000, 730_000, 1000 * 730 / 24


def test_kinesis_provisioned_by_hand() -> None:
    report = cost()
    # readings: 43.8e6 records / 2,628,000 s = 16.7 records/s, 4.2 KB/s -> 1 shard; 730 shard-hours * 0.01
    assert usd(report, "Kinesis", "readings: 1 shards") == pytest.approx(7.30)
    # one PUT payload unit per 250-byte record: 43.8e6 * 1e-6
    assert usd(report, "Kinesis", "readings: PUT") == pytest.approx(43.80)
    # hourly: (1/60 per reading) * 60 readings/h * 730,000 household-hours = 730,000 records
    assert usd(report, "Kinesis", "hourly: PUT") == pytest.approx(0.73)
    assert usd(report, "Kinesis", "forecasted: PUT") == pytest.approx(0.73)


def test_kinesis_on_demand_by_hand() -> None:
    report = cost(mode="on-demand")
    assert usd(report, "Kinesis", "readings: on-demand") == pytest.approx(730 * 0.04)
    # each 250-byte record billed as 1 KB: 43.8e6 KiB = 41.7699 GiB; in at 0.1, out once at 0.05
    gib = READINGS * 1024 / 2**30
    assert usd(report, "Kinesis", "readings: data in") == pytest.approx(gib * 0.1)
    assert usd(report, "Kinesis", "readings: data out x1") == pytest.approx(gib * 0.05)
    # the hourly stream has three consumers: 730,000 KiB read three times
    assert usd(report, "Kinesis", "hourly: data out x3") == pytest.approx(730_000 * 1024 / 2**30 * 3 * 0.05)


def test_lambda_by_hand() -> None:
    wall, estimated = cost(duration="emulator"), cost()
    # ingest: 0.002 * 43.8e6 = 87,600 requests; wall 0.0001 s * 43.8e6 * 1 GB = 4,380 GB-s
    assert usd(wall, "Lambda", "ingest: requests") == pytest.approx(0.0876)
    assert usd(wall, "Lambda", "ingest: 1024 MB") == pytest.approx(0.0438)
    # preprocess: 0.05 s * 730,000 * 1 GB = 36,500 GB-s; accuracy at 512 MB: 0.02 * 730,000 * 0.5 = 7,300
    assert usd(wall, "Lambda", "preprocess: 1024 MB") == pytest.approx(0.365)
    assert usd(wall, "Lambda", "accuracy: 512 MB") == pytest.approx(0.073)
    # cpu+latency, ingest per reading: 0.00005 CPU + 0.002 S3 PUT * 0.025 + 0.01 DynamoDB * 0.005
    #   + 0.001 SQS * 0.01 = 0.00016 s; * 43.8e6 = 7,008 GB-s
    assert usd(estimated, "Lambda", "ingest: 1024 MB") == pytest.approx(0.07008)
    # preprocess: 0.01 CPU + 0.01 InvokeEndpoint * 0.05 = 0.0105 s * 730,000 = 7,665 GB-s
    assert usd(estimated, "Lambda", "preprocess: 1024 MB") == pytest.approx(0.07665)
    assert usd(estimated, "Lambda", "accuracy: 512 MB") == pytest.approx(0.073)  # no calls: CPU only
    without_cpu = dataclasses.replace(round_usage().functions["ingest"], handler_cpu_seconds=0.0)
    usage = dataclasses.replace(round_usage(), functions={**round_usage().functions, "ingest": without_cpu})
    with pytest.raises(CostInputError, match="no handler CPU time"):
        monthly_cost(CostOptions(households=1), usage, round_prices())


def test_dynamodb_s3_by_hand() -> None:
    report = cost()
    # WRU: 0.02 * 43.8e6 + 2 * 730,000 = 876,000 + 1,460,000 = 2,336,000 at 1e-6
    assert usd(report, "DynamoDB", "write") == pytest.approx(2.336)
    # RRU: 4 * 730,000 = 2,920,000 at 1e-7
    assert usd(report, "DynamoDB", "read") == pytest.approx(0.292)
    # stored: 1,000 B per household-hour * 730,000 * 12 months = 8.76e9 B = 8.1583 GiB at 0.25
    assert usd(report, "DynamoDB", "storage") == pytest.approx(8.76e9 / 2**30 * 0.25)
    # S3 PUTs 0.002 * 43.8e6 = 87,600 at 1e-5; bundles fetched one a household-day at 1e-6
    assert usd(report, "S3", "PUT") == pytest.approx(0.876)
    assert usd(report, "S3", "Prophet bundles fetched") == pytest.approx(HOUSEHOLD_DAYS * 1e-6)
    # raw archive: 100 B per reading * 43.8e6 * 12 = 5.256e10 B at 0.02
    assert usd(report, "S3", "storage") == pytest.approx(5.256e10 / 2**30 * 0.02)
    assert usd(report, "SQS", "requests") == pytest.approx(0.001 * READINGS * 1e-6)


def test_projection_routes_by_hand() -> None:
    mme, batch = cost("endpoint"), cost("batch")
    # LSTM: 1000 households / 3600 s = 0.28 forecasts/s, far below 100/s: min_capacity 1, 730 h at 0.1
    assert usd(mme, "SageMaker", "endpoint: 1 x ml.m5.large") == pytest.approx(73.0)
    # mme: 1000 * 0.6 s / 2 workers = 300 instance-s, within 3600 s -> 1 instance for 1 h a day
    assert usd(mme, "SageMaker", "projections: 1 x") == pytest.approx(730 / 24 * 0.1)
    # ...and preprocess waits 0.6 s per household-day at 1 GB: 30,416.67 * 0.6 = 18,250 GB-s
    assert usd(mme, "Lambda", "preprocess waiting") == pytest.approx(18_250 * 1e-5)
    # batch: 30,416.67 household-days * 0.02 s / 3600 = 0.16898 busy hours over 2 processes, plus one
    # instance's 0.1 h start-up a night * 30.4167 nights = 3.04167 -> 3.12616 instance-hours at 0.1
    instance_hours = HOUSEHOLD_DAYS * 0.02 / 3600 / 2 + 0.1 * 730 / 24
    assert usd(batch, "SageMaker", "nightly projections: ml.m5.large processing job") == pytest.approx(
        instance_hours * 0.1
    )
    mme_only = 730 / 24 * 0.1 + 18_250 * 1e-5
    batch_only = instance_hours * 0.1
    assert mme.total - batch.total == pytest.approx(mme_only - batch_only)
    assert mme.per_household == pytest.approx(mme.total / 1000)


def test_the_endpoint_burst_beyond_autoscaling_is_a_warning() -> None:
    # LSTM: 1e6 / 3600 s / 100 forecasts/s = 2.78 -> 3 instances all month
    # mme: 1e6 * 0.6 s / 2 workers = 300,000 instance-s / 3600 s -> 84 more at 23:00; 87 at peak
    report = cost("endpoint", households=1_000_000)
    assert usd(report, "SageMaker", "endpoint: 3 x") == pytest.approx(3 * 730 * 0.1)
    assert usd(report, "SageMaker", "projections: 84 x") == pytest.approx(84 * 730 / 24 * 0.1)
    assert report.warnings == [
        "the endpoint needs 87 instances at peak; forecaster.autoscaling.max_capacity is 2"
    ]
    assert cost("batch", households=1_000_000).warnings == [
        "the endpoint needs 3 instances at peak; forecaster.autoscaling.max_capacity is 2"
    ]


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(CostInputError, match="households must be"):
        CostOptions(households=0)
    with pytest.raises(CostInputError, match="projection route"):
        CostOptions(households=1, projection_route="spot")
    book = round_prices()
    del book.prices["emr_serverless_vcpu_hour"]
    with pytest.raises(CostInputError, match="no price 'emr_serverless_vcpu_hour'"):
        monthly_cost(CostOptions(households=1, projection_route="batch"), round_usage(), book)


def test_the_price_file_is_dated_and_every_price_has_unit_and_source() -> None:
    book = load_prices(DEFAULT_PRICES)
    assert isinstance(book.as_of, dt.date) and book.region == "us-east-1"
    assert set(ROUND_PRICES) <= set(book.prices)
    for price in book.prices.values():
        assert price.unit and price.read and price.source.startswith("https://aws.amazon.com/")
        assert price.each > 0
    assert book.each("kinesis_provisioned_put_payload_unit") == pytest.approx(0.014 / 1e6)


def test_a_price_without_a_source_is_refused() -> None:
    with pytest.raises(CostInputError, match=r"prices\.x lacks source"):
        parse_prices(
            {
                "as_of": dt.date(2026, 1, 1),
                "region": "r",
                "prices": {"x": {"usd": 1, "per": 1, "unit": "u", "read": "r"}},
            }
        )
    with pytest.raises(CostInputError, match="as_of must be a date"):
        parse_prices({"as_of": "soon", "region": "r", "prices": {}})


def test_sizing_matches_the_terraform_defaults() -> None:
    variables = (ROOT / "terraform/envs/aws/variables.tf").read_text()

    def default(name: str) -> str:
        match = re.search(
            rf"^\s*{name}\s*=\s*optional\((?:number|string), \"?([^\")]+)\"?\)", variables, re.M
        )
        assert match, name
        return match.group(1)

    sizing = Sizing()
    assert sizing.memory_mb["ingest"] == int(default("ingest_memory_size"))
    assert sizing.memory_mb["preprocess"] == int(default("preprocess_memory_size"))
    assert sizing.memory_mb["portal"] == int(default("portal_memory_size"))
    assert sizing.memory_mb["alerts"] == int(default("alerts_memory_size"))
    assert sizing.memory_mb["statements"] == int(default("statements_memory_size"))
    assert sizing.memory_mb["accuracy"] == int(default("memory_size"))
    assert sizing.architecture == default("architecture")
    assert sizing.endpoint_instance_type == default("instance_type")
    assert sizing.endpoint_min_capacity == int(default("min_capacity"))
    assert sizing.endpoint_max_capacity == int(default("max_capacity"))


def test_request_units_from_item_sizes() -> None:
    small = {"household_id": {"S": "h1"}, "kwh": {"N": "1.25"}}
    assert item_bytes(small) == len("household_id") + 2 + len("kwh") + 3
    assert write_units("PutItem", {"Item": small}) == 1
    big = {"blob": {"S": "x" * 3000}}
    assert write_units("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": big}}] * 2}}) == 6
    assert read_units("Query", {"Items": [big] * 4}) == pytest.approx(0.5 * 3)  # 12,016 B -> 3 x 4 KB


def test_the_command_prints_the_cost_of_a_usage_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usage = tmp_path / "usage.json"
    save_usage(round_usage(), usage)
    assert json.loads(usage.read_text()) == json.loads(json.dumps(usage_to_json(round_usage())))
    args = ["cost", "--households", "1000", "--usage", str(usage), "--kinesis-mode", "provisioned"]
    assert main([*args, "--projection-route", "batch", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = monthly_cost(
        CostOptions(households=1000, projection_route="batch", kinesis_mode="provisioned"),
        round_usage(),
        load_prices(DEFAULT_PRICES),
    )
    assert printed["total_usd"] == pytest.approx(expected.total)
    assert printed["per_household_usd"] == pytest.approx(expected.total / 1000)
    assert printed["prices_as_of"] == "2026-12-02"
    assert {line["service"] for line in printed["lines"]} >= {
        "Kinesis",
        "Lambda",
        "SageMaker",
        "EMR Serverless",
    }
    assert main(args) == 0
    table = capsys.readouterr().out
    mme = monthly_cost(
        CostOptions(households=1000, kinesis_mode="provisioned"), round_usage(), load_prices(DEFAULT_PRICES)
    )
    assert "1,000 households" in table and "projections by endpoint" in table
    assert f"total USD a month {mme.total:>14,.2f}" in table
    assert f"per household     {mme.total / 1000:>14,.4f}" in table
    assert "readings: 1 shards" in table and "preprocess waiting on the cold loads" in table


def test_the_command_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--households", "0", "--usage", str(tmp_path / "none.json")]) == 2
    assert "households must be" in capsys.readouterr().err
    assert main(["cost", "--households", "5", "--usage", str(tmp_path / "none.json")]) == 2
    assert "wattcast cost measure" in capsys.readouterr().err


def test_a_measurement_becomes_figures_per_driver(tmp_path: Path) -> None:
    counts = FunctionCounts(write_units=480.0, read_units=96.0, s3_bytes=9600)
    counts.calls["s3.PutObject"] += 24
    counts.kinesis_records["hourly"] += 48
    raw = {
        "readings": 4800,
        "records": 4900,
        "readings_bytes": 1_200_000,
        "timings": {
            role: {"invocations": 10, "records": 100, "seconds": 2.4, "cpu_seconds": 0.48}
            for role in FUNCTIONS
        },
        "counts": {"ingest": counts_json(counts)},
        "stored_bytes": {"hourly": 24_000, "forecasts": 48_000},
    }
    options = MeasureOptions(households=2, days=1, out=tmp_path / "usage.json")
    forecaster = ForecasterUsage(100.0, 0.6, 0.02, 1.0)
    usage = usage_from_measurement(options, json.loads(json.dumps(raw)), forecaster, "2026-12-02T00:00Z")
    ingest, preprocess = usage.function("ingest"), usage.function("preprocess")
    # ingest per reading (4,800); the others per household-hour (2 households x 24 h = 48)
    assert ingest.invocations == pytest.approx(10 / 4800, rel=1e-6) and ingest.calls == {
        "s3.PutObject": 0.005
    }
    assert ingest.dynamodb_write_units == pytest.approx(0.1) and ingest.kinesis_records == {"hourly": 0.01}
    assert ingest.s3_bytes_written == pytest.approx(2.0)
    assert preprocess.handler_seconds == pytest.approx(0.05) and preprocess.calls == {}
    assert preprocess.handler_cpu_seconds == pytest.approx(0.01)
    assert usage.readings_bytes_per_reading == 250.0
    assert usage.dynamodb_bytes_per_household_hour == {"hourly": 500.0, "forecasts": 1000.0}
    assert usage.replay["readings_per_household_hour"] == 100.0
    assert usage.produced_by == "wattcast cost measure --households 2 --days 1 --per-record 1"
    save_usage(usage, options.out)
    assert usage_from_json(json.loads(options.out.read_text())) == usage
