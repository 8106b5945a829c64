"""The AWS side of the nightly projections: bundles from the models prefix on S3, the households and
hourly tables, the champion pointer of the default model."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.core.errors import DependencyError
from services.core.hourly import HourlyRow
from services.core.hourly_table import DynamoHourlyHistory
from services.core.households_table import latest_readings
from services.core.model_pointer import ModelPointerReader, ModelSlot, SsmPointers
from services.core.settings import Settings
from services.forecaster.bundles import unpack_bundle

MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Bundles:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings
        self._pointers = ModelPointerReader(SsmPointers(clients, settings), settings)

    def default_target(self) -> str:
        return self._pointers.target(ModelSlot.PROPHET_DEFAULT)

    def fetch(self, target: str, destination: Path) -> Path | None:
        key = self._settings.models_prefix + target
        with tempfile.TemporaryDirectory(
            prefix="bundle-", dir=destination.parent if destination.parent.is_dir() else None
        ) as tmp:
            archive = Path(tmp) / "model.tar.gz"
            try:
                self._clients.s3.download_file(self._settings.data_bucket, key, str(archive))
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in MISSING:
                    return None
                raise DependencyError(f"reading s3://{self._settings.data_bucket}/{key}: {exc}") from exc
            except BotoCoreError as exc:
                raise DependencyError(f"reading s3://{self._settings.data_bucket}/{key}: {exc}") from exc
            return unpack_bundle(archive, destination, self._settings.forecaster_max_bundle_bytes)


class DynamoFleet:
    def __init__(self, clients: AwsClients, settings: Settings) -> None:
        self._clients = clients
        self._hours = DynamoHourlyHistory(clients, settings)

    def latest_readings(self) -> dict[str, datetime]:
        return latest_readings(self._clients)

    def rows(self, household_id: str, first_hour: datetime, last_hour: datetime) -> list[HourlyRow]:
        return self._hours.rows(household_id, first_hour, last_hour)
