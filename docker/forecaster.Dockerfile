# SageMaker bring-your-own-container image of the forecaster (services/forecaster): Flask under gunicorn.
# SageMaker runs `docker run IMAGE serve`; the server listens on 8080 (or $SAGEMAKER_BIND_TO_PORT),
# loads /opt/ml/model (single model) or takes target models through POST /models
# (SAGEMAKER_MULTI_MODEL=true), and gunicorn stops gracefully on SIGTERM.
# Build from the repository root: docker build -f docker/forecaster.Dockerfile -t wattcast-forecaster .
# The default (last) stage is the SageMaker image: services/core and services/forecaster, nothing else.
# The `local` stage adds scripts/ for docker-compose: the SageMaker Runtime path that preprocess calls
# there (on AWS, SageMaker itself is that path). BASE_IMAGE: any Debian-like image with python3 >= 3.11.
# FORECASTER_EXTRA=forecaster-slim builds the image without TensorFlow (bundles with model.onnx only).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE} AS serving
ARG FORECASTER_EXTRA=forecaster

LABEL com.amazonaws.sagemaker.capabilities.multi-models=true \
      com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/opt/program \
    MPLCONFIGDIR=/tmp/matplotlib \
    TF_CPP_MIN_LOG_LEVEL=2

# Dependencies first (this layer changes only with pyproject.toml): the base deps + the forecaster extra.
COPY pyproject.toml docker/requirements.py /tmp/build/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml "${FORECASTER_EXTRA}" > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast \
    && mkdir -p /opt/ml/model /opt/ml/models \
    && chown 10001:10001 /opt/ml/models

WORKDIR /opt/program
COPY services/__init__.py services/
COPY services/core services/core
COPY services/forecaster services/forecaster
RUN /opt/venv/bin/python -m compileall -q services

USER 10001
EXPOSE 8080

# docker-compose only: `wattcast serve` with the local SageMaker Runtime path (scripts/local).
FROM serving AS local
COPY scripts scripts
ENTRYPOINT ["/opt/venv/bin/python", "-m", "scripts.cli"]
CMD ["serve"]

FROM serving AS sagemaker
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.forecaster"]
CMD ["serve"]
