"""The metrics every service emits: one owner for their names, units and emitters.

Each service emits CloudWatch embedded-metric-format (EMF) lines through Powertools Metrics, in the
namespace `Settings.metrics_namespace`, with one dimension, `service` (the emitting service's name
below). Terraform creates one alarm per metric named here (a static test checks it), and the local
stack collects the same lines for `wattcast stack status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["Count", "Milliseconds", "Seconds", "None"]

INGEST, PREPROCESS, ALERTS, STATEMENTS, API, ACCURACY, FORECASTER = (
    "wattcast-ingest",
    "wattcast-preprocess",
    "wattcast-alerts",
    "wattcast-statements",
    "wattcast-portal",
    "wattcast-accuracy",
    "wattcast-forecaster",
)
SERVICE_DIMENSION = "service"
REASON_DIMENSION = "reason"  # ReadingsRejected is also emitted per rejection reason


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: Unit
    service: str
    meaning: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("ReadingsAccepted", "Count", INGEST, "valid readings stored"),
    MetricSpec("ReadingsRejected", "Count", INGEST, "readings sent to the dead-letter place (by reason)"),
    MetricSpec("HoursClosed", "Count", INGEST, "hour-closed events published (revisions included)"),
    MetricSpec("ForecastsStored", "Count", PREPROCESS, "next-24-hour forecasts stored"),
    MetricSpec("HouseholdsWarmingUp", "Count", PREPROCESS, "closed hours without enough history"),
    MetricSpec("EndpointLatency", "Milliseconds", PREPROCESS, "one InvokeEndpoint call, retries included"),
    MetricSpec("EndpointErrors", "Count", PREPROCESS, "endpoint calls that failed until the deadline"),
    MetricSpec(
        "EventToForecastLatency",
        "Seconds",
        PREPROCESS,
        "the closing reading's arrival in Kinesis to its hour's forecast stored",
    ),
    MetricSpec("AlertsRaised", "Count", ALERTS, "household alerts raised"),
    MetricSpec("StatementsWritten", "Count", STATEMENTS, "monthly statements written"),
    MetricSpec("ApiServerErrors", "Count", API, "household API answers with a 5xx status"),
    MetricSpec("HoursScored", "Count", ACCURACY, "closed hours whose issued forecasts were scored"),
    MetricSpec("ForecastErrorKw", "None", ACCURACY, "absolute next-hour error of a scored hour, kW"),
    MetricSpec("DriftingHouseholds", "Count", ACCURACY, "households whose error drifted (fleet sweep)"),
    MetricSpec("ModelLoads", "Count", FORECASTER, "bundles loaded into memory"),
    MetricSpec("ModelEvictions", "Count", FORECASTER, "bundles evicted to make room"),
    MetricSpec("Invocation4xx", "Count", FORECASTER, "requests answered with a 4xx status"),
    MetricSpec("Invocation5xx", "Count", FORECASTER, "requests answered with a 5xx status"),
    MetricSpec("InvocationLatency", "Milliseconds", FORECASTER, "one invocation, in the container"),
)
BY_NAME = {m.name: m for m in METRICS}


def spec(name: str) -> MetricSpec:
    """The spec of a named metric; KeyError for a name nobody owns (a typo fails fast)."""
    return BY_NAME[name]
