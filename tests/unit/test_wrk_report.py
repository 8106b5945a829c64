"""`wattcast bench portal` reads wrk's report: percentiles in any unit, the rate, the failures."""

from __future__ import annotations

import pytest

from scripts.bench.portal import BenchError, parse_wrk

REPORT = """Running 30s test @ http://127.0.0.1:40000
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    30.12ms   12.01ms 210.33ms   80.00%
  Latency Distribution
     50%  850.00us
     75%   35.10ms
     90%    1.20s
     99%    2.50m
  6864 requests in 30.07s, 31.12MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    228.28
Transfer/sec:      1.03MB
"""


def test_the_report_gives_percentiles_in_ms_the_rate_and_the_failures() -> None:
    assert parse_wrk(REPORT) == {
        "p50_ms": 0.85,
        "p75_ms": 35.1,
        "p90_ms": 1200.0,
        "p99_ms": 150000.0,
        "requests_per_s": 228.28,
        "requests": 6864,
        "non_2xx": 3,
    }


def test_a_report_without_latencies_is_an_error() -> None:
    with pytest.raises(BenchError, match="could not read"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")
