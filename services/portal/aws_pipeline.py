"""The pipeline's health as AWS reports it: the stream mappings' `IteratorAge` in CloudWatch and the
dead-letter queues' depth in SQS."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from services.core.clients import AwsClients
from services.core.forecasts_table import calling

NO_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class AwsPipelineHealth:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    def iterator_age_ms(self, function_name: str, since: datetime, until: datetime) -> float | None:
        with calling(f"reading the iterator age of {function_name}"):
            answer = self._clients.client("cloudwatch").get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName="IteratorAge",
                Dimensions=[{"Name": "FunctionName", "Value": function_name}],
                StartTime=since,
                EndTime=until,
                Period=60,
                Statistics=["Maximum"],
            )
        points = [float(p["Maximum"]) for p in answer.get("Datapoints", []) if "Maximum" in p]
        return max(points) if points else None

    def queue_messages(self, queue_name: str) -> int | None:
        sqs = self._clients.sqs
        with calling(f"reading the depth of {queue_name}"):
            try:
                url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in NO_QUEUE:
                    return None
                raise
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))
