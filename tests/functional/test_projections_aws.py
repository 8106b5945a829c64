"""The nightly projections against the emulator: the households table's clocks, the hourly table, the
bundles under the models prefix (own, else the default's pointer), the forecasts table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from scripts.cli import main
from scripts.data.simulate import simulate_households
from scripts.data.uci import default_data_path, load_uci
from scripts.evaluation.bills import store_hours
from scripts.local.bootstrap import bootstrap
from services.core.clients import AwsClients
from services.core.forecasts_table import DynamoForecasts
from services.projections.__main__ import main as projections_job

pytestmark = pytest.mark.functional


def seed(clients: AwsClients, latest: dict[str, str]) -> None:
    bootstrap(clients, readings_shards=1)
    frame = load_uci(default_data_path())
    for household_id, household in simulate_households(frame, len(latest)).items():
        store_hours(clients, household_id, household.loc[:"2010-01-14"])
        clients.dynamodb.put_item(
            TableName=clients.settings.households_table,
            Item={"household_id": {"S": household_id}, "latest": {"S": latest[household_id]}},
        )


def test_the_job_projects_each_closed_household_from_its_month_into_the_forecasts_table(
    aws: AwsClients, sample_bundles: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # h000 has its own model and h001 uses the default; h002's 14th has not closed yet.
    seed(
        aws, {"h000": "2010-01-15T00:30:00Z", "h001": "2010-01-15T01:00:00Z", "h002": "2010-01-14T23:59:00Z"}
    )
    for key in ("models/prophet/default.tar.gz", "models/prophet/h000.tar.gz"):
        aws.s3.upload_file(str(sample_bundles["prophet.tar.gz"]), aws.settings.data_bucket, key)
    assert projections_job(["--as-of", "2010-01-15", "--processes", "2"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["projected"], summary["by_default_model"], summary["not_closed"], summary["failed"]) == (
        2, 1, 1, 0,
    )  # fmt: skip
    forecasts = DynamoForecasts(aws)
    own, default = (forecasts.latest_projection(h, "2010-01") for h in ("h000", "h001"))
    assert own is not None and default is not None
    assert (own["model"], default["model"]) == ("prophet/h000.tar.gz", "prophet/default.tar.gz")
    assert own["as_of"] == default["as_of"] == date(2010, 1, 15).isoformat()
    for item in (own, default):  # the 14 measured days, then the rest of January projected above them
        assert item["actual_to_date_kwh"] > 14 * 5
        assert (
            item["projected_month_kwh_lower"]
            <= item["projected_month_kwh"]
            <= item["projected_month_kwh_upper"]
        )
        assert item["projected_month_kwh"] > item["actual_to_date_kwh"]
    assert forecasts.latest_projection("h002", "2010-01") is None


def test_the_command_names_each_household_that_failed(
    aws: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(aws, {"h000": "2010-01-15T01:00:00Z"})  # no bundle at all under the models prefix
    assert main(["forecast", "project", "--as-of", "2010-01-15"]) == 1
    out = capsys.readouterr().out
    assert '"failed": 1' in out
    assert "h000: the default Prophet model prophet/default.tar.gz does not exist" in out
