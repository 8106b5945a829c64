# The local runner of docker-compose (scripts/local, not a service): `wattcast lambdas init` creates the
# resources, `wattcast lambdas serve` plays Lambda's event source mappings and serves the Lambda Runtime
# API that the ingest and preprocess images poll. It never runs on AWS.
# Build from the repository root: docker build -f docker/runner.Dockerfile -t wattcast-runner .
# BASE_IMAGE: any Debian-like image with python3 >= 3.11 and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/opt/runner

# Dependencies first (this layer changes only with pyproject.toml): the base deps + the lambda extra.
COPY pyproject.toml docker/requirements.py /tmp/build/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml lambda gateway > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast

WORKDIR /opt/runner
COPY services services
COPY scripts scripts
RUN /opt/venv/bin/python -m compileall -q services scripts

USER 10001
ENTRYPOINT ["/opt/venv/bin/python", "-m", "scripts.cli", "lambdas"]
CMD ["serve"]
