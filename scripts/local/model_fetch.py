"""Fetch a target model like SageMaker does: `<models prefix><target>` from S3, unpacked locally."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients
from services.forecaster.bundles import unpack_bundle
from services.forecaster.errors import BadRequestError

TARGET_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,1023}$")


class TargetModelError(BadRequestError):
    """The target model name is invalid or its data cannot be downloaded (a ValidationError on AWS)."""


def target_folder(models_dir: Path, target: str) -> Path:
    if not TARGET_PATTERN.match(target) or ".." in target.split("/"):
        raise TargetModelError(f"TargetModel {target[:100]!r} is not a relative S3 key of a model archive")
    return models_dir / target.replace("/", "__")


class S3ModelFetcher:
    def __init__(self, clients: AwsClients, models_dir: Path, max_bundle_bytes: int) -> None:
        self._clients = clients
        self._models_dir = models_dir
        self._max_bundle_bytes = max_bundle_bytes

    def __call__(self, target: str) -> Path:
        folder = target_folder(self._models_dir, target)
        settings = self._clients.settings
        key = settings.models_prefix + target
        self._models_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._models_dir, suffix=".tar.gz") as archive:
            try:
                self._clients.s3.download_fileobj(settings.data_bucket, key, archive)
            except (ClientError, BotoCoreError) as exc:
                raise TargetModelError(
                    f"Failed to download model data (bucket: {settings.data_bucket}, key: {key}): {exc}"
                ) from exc
            archive.flush()
            return unpack_bundle(Path(archive.name), folder, self._max_bundle_bytes)
