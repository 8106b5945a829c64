"""Statements in S3: `<statements_prefix><household>/<YYYY-MM>.html|.pdf` in the data bucket, read
through presigned links so that the API never streams a PDF through Lambda."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from services.core.clients import AwsClients
from services.core.forecasts_table import calling
from services.portal.ports import StoredStatement

MISSING = ("404", "NoSuchKey", "NotFound")


class S3Statements:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._bucket = clients.settings.data_bucket
        self._prefix = clients.settings.statements_prefix

    def key(self, household_id: str, month: str, suffix: str) -> str:
        return f"{self._prefix}{household_id}/{month}.{suffix}"

    def put(self, household_id: str, month: str, html: str, pdf: bytes) -> None:
        s3 = self._clients.s3
        with calling(f"storing the statement of {household_id} for {month}"):
            # The PDF last: its presence is what says the statement is there.
            s3.put_object(
                Bucket=self._bucket,
                Key=self.key(household_id, month, "html"),
                Body=html.encode(),
                ContentType="text/html; charset=utf-8",
            )
            s3.put_object(
                Bucket=self._bucket,
                Key=self.key(household_id, month, "pdf"),
                Body=pdf,
                ContentType="application/pdf",
                ContentDisposition=f'inline; filename="wattcast-{household_id}-{month}.pdf"',
            )

    def exists(self, household_id: str, month: str) -> bool:
        return self._written(household_id, month) is not None

    def links(self, household_id: str, month: str, expires_in_seconds: int) -> StoredStatement | None:
        written = self._written(household_id, month)
        if written is None:
            return None
        return StoredStatement(
            html_url=self._presign(self.key(household_id, month, "html"), expires_in_seconds),
            pdf_url=self._presign(self.key(household_id, month, "pdf"), expires_in_seconds),
            generated_at=written,
        )

    def _written(self, household_id: str, month: str) -> datetime | None:
        """When the PDF was written; None when it was not (404: the role may list the prefix)."""
        with calling(f"finding the statement of {household_id} for {month}"):
            try:
                head = self._clients.s3.head_object(
                    Bucket=self._bucket, Key=self.key(household_id, month, "pdf")
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in MISSING:
                    return None
                raise
        written: datetime = head["LastModified"]
        return written

    def _presign(self, key: str, expires_in_seconds: int) -> str:
        return str(
            self._clients.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in_seconds
            )
        )
