"""Reading back the EMF lines the services print (services.core.emf), for the tests."""

from __future__ import annotations

import json
from typing import Any


def emf_documents(text: str) -> list[dict[str, Any]]:
    """The EMF documents among printed lines (log lines and the rest left out)."""
    documents = []
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    return documents


def metric_values(documents: list[dict[str, Any]], **dimensions: str) -> dict[str, list[float]]:
    """Every value of each metric in the documents whose dimensions are exactly `dimensions`."""
    values: dict[str, list[float]] = {}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        (names,) = directive["Dimensions"]
        if {name: document[name] for name in names} != dimensions:
            continue
        for metric in directive["Metrics"]:
            values.setdefault(metric["Name"], []).extend(document[metric["Name"]])
    return values
