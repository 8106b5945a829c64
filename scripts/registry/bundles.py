"""Bundles in the models prefix (S3): published under names never used before, each with its
metadata.json beside it (`services.core.bundle_format.metadata_sidecar`), which production scoring
reads for the model's test metrics without unpacking the bundle.

The multi-model endpoint caches a model by its target name, so a name is never overwritten: a new
bundle gets a new name from its own metadata's version (`lstm/<version>.tar.gz`,
`prophet/default/<version>.tar.gz`, which no household's `prophet/<household>.tar.gz` can be).
"""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from services.core import bundle_format as fmt
from services.core.clients import AwsClients
from services.core.errors import DependencyError, WattcastError
from services.core.model_pointer import ModelSlot

VERSIONED_PREFIXES = {ModelSlot.LSTM: "lstm/", ModelSlot.PROPHET_DEFAULT: "prophet/default/"}
VERSION = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
MAX_METADATA_BYTES = 10 * 1024 * 1024


class RegistryError(WattcastError):
    """A bundle cannot be published or found as asked (an existing name, a missing bundle)."""


def versioned_target(slot: ModelSlot, version: str) -> str:
    if not VERSION.match(version):
        raise RegistryError(f"bundle version {version!r} cannot name a target")
    return f"{VERSIONED_PREFIXES[slot]}{version}.tar.gz"


def archive_metadata(archive: Path) -> dict[str, Any]:
    """metadata.json of a bundle archive, read without unpacking the rest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember(fmt.METADATA_FILE)
            stream = tar.extractfile(member) if member.size <= MAX_METADATA_BYTES else None
            if stream is None:
                raise RegistryError(f"{archive}: {fmt.METADATA_FILE} is not a readable file")
            metadata = json.loads(stream.read())
    except (KeyError, OSError, tarfile.TarError, ValueError) as exc:
        raise RegistryError(f"{archive} has no readable {fmt.METADATA_FILE}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise RegistryError(f"{archive}: {fmt.METADATA_FILE} is not an object")
    return metadata


def publish_versioned(bundles: S3Bundles, slot: ModelSlot, archive: Path) -> str:
    """Publish a new bundle of the slot under its metadata's version; returns its target."""
    metadata = archive_metadata(archive)
    target = versioned_target(slot, str(metadata.get("version", "")))
    bundles.publish_new(archive, target)
    return target


class S3Bundles:
    """The models prefix of the data bucket; AWS failures are DependencyError."""

    def __init__(self, clients: AwsClients) -> None:
        self._s3 = clients.s3
        self._bucket = clients.settings.data_bucket
        self._prefix = clients.settings.models_prefix

    def key(self, target: str) -> str:
        return self._prefix + target

    def exists(self, target: str) -> bool:
        return self._exists(self.key(target))

    def download(self, target: str, destination: Path) -> Path:
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._s3.download_file(self._bucket, self.key(target), str(destination))
        except ClientError as exc:
            if _not_found(exc):
                raise RegistryError(f"no bundle {target} in s3://{self._bucket}/{self._prefix}") from exc
            raise DependencyError(f"downloading {target}: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"downloading {target}: {exc}") from exc
        return destination

    def publish_new(self, archive: Path, target: str) -> None:
        """Upload a bundle under a name not used yet, its sidecar first (a reader that finds the
        bundle finds its metadata); RegistryError if the name exists."""
        if self.exists(target):
            raise RegistryError(f"{target} exists already: a bundle name is never overwritten")
        self.publish_sidecar(target, archive_metadata(archive))
        try:
            with archive.open("rb") as body:
                self._s3.put_object(Bucket=self._bucket, Key=self.key(target), Body=body, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                raise RegistryError(f"{target} was written meanwhile: not overwritten") from exc
            raise DependencyError(f"uploading {target}: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"uploading {target}: {exc}") from exc

    def publish_sidecar(self, target: str, metadata: dict[str, Any]) -> str:
        """Write the bundle's metadata beside it; returns the sidecar's key."""
        key = self._prefix + fmt.metadata_sidecar(target)
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=json.dumps(metadata, indent=2).encode(),
                ContentType="application/json",
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyError(f"writing {key}: {exc}") from exc
        return key

    def has_sidecar(self, target: str) -> bool:
        return self._exists(self._prefix + fmt.metadata_sidecar(target))

    def backfill_sidecar(self, target: str) -> bool:
        """Publish the sidecar of a bundle uploaded without one; False if it had one."""
        if self.has_sidecar(target):
            return False
        with tempfile.TemporaryDirectory(prefix="wattcast-sidecar-") as tmp:
            archive = self.download(target, Path(tmp) / "model.tar.gz")
            self.publish_sidecar(target, archive_metadata(archive))
        return True

    def _exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _not_found(exc):
                return False
            raise DependencyError(f"looking for s3://{self._bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise DependencyError(f"looking for s3://{self._bucket}/{key}: {exc}") from exc
        return True


def _not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
