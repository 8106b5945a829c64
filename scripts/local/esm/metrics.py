"""The metric AWS Lambda publishes for a stream mapping, published the same way by the local one:
`AWS/Lambda IteratorAge` (ms, the newest record's age when its batch completed) per function, so the
operator's page reads the same CloudWatch query in every mode."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from services.core.clients import AwsClients

logger = logging.getLogger(__name__)
NAMESPACE = "AWS/Lambda"
ITERATOR_AGE = "IteratorAge"


class IteratorAgeMetric:
    def __init__(self, clients: AwsClients, function_name: str) -> None:
        self._clients = clients
        self._function = function_name
        self._warned = False

    def put(self, age_ms: int, at: float) -> None:
        """Best effort, as on AWS: a lost data point never holds the mapping up."""
        try:
            self._clients.client("cloudwatch").put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": ITERATOR_AGE,
                        "Dimensions": [{"Name": "FunctionName", "Value": self._function}],
                        "Timestamp": datetime.fromtimestamp(at, UTC),
                        "Value": float(age_ms),
                        "Unit": "Milliseconds",
                    }
                ],
            )
        except (BotoCoreError, ClientError) as exc:
            if not self._warned:  # once per mapping: the emulator may lack CloudWatch altogether
                logger.warning("IteratorAge of %s not published (said once): %s", self._function, exc)
                self._warned = True
