"""The context a Python Lambda handler receives, for in-process invocations (the embedded stack, the
benchmarks, the tests): Powertools' typed `LambdaContext`, filled as Lambda fills it."""

from __future__ import annotations

import time
import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext


class LocalLambdaContext(LambdaContext):
    def __init__(
        self,
        function_name: str,
        timeout_seconds: float = 60.0,
        memory_limit_in_mb: int = 1024,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        request_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = request_id
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = f"local/[$LATEST]{request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._deadline - time.monotonic()) * 1000))
