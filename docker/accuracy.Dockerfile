# Lambda container image of the accuracy function (services/accuracy): production scoring on the hourly
# stream, and the fleet's drift sweep (the same image with CMD services.accuracy.handler.sweep_handler).
# awslambdaric polls the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API and calls the handler named by
# CMD. Build from the repository root: docker build -f docker/accuracy.Dockerfile -t wattcast-accuracy .
# BASE_IMAGE: any Debian-like image with python3 >= 3.11 and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LAMBDA_TASK_ROOT=/var/task \
    PYTHONPATH=/var/task

# Dependencies first (this layer changes only with pyproject.toml): the base deps + the accuracy extra.
COPY pyproject.toml docker/requirements.py /tmp/build/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml accuracy > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast

WORKDIR /var/task
COPY services/__init__.py services/
COPY services/core services/core
COPY services/accuracy services/accuracy
RUN /opt/venv/bin/python -m compileall -q services

USER 10001
ENTRYPOINT ["/opt/venv/bin/python", "-m", "awslambdaric"]
CMD ["services.accuracy.handler.lambda_handler"]
