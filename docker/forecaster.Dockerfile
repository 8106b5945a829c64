# SageMaker bring-your-own-container image of the forecaster (services/forecaster): Flask under gunicorn.
# SageMaker runs `docker run IMAGE serve`; the server listens on 8080 (or $SAGEMAKER_BIND_TO_PORT),
# loads /opt/ml/model (single model) or fetches target models into /opt/ml/models
# (SAGEMAKER_MULTI_MODEL=true), and gunicorn stops gracefully on SIGTERM.
# Build from the repository root: docker build -f docker/forecaster.Dockerfile -t wattcast-forecaster .
# BASE_IMAGE: any Debian-like image with python3 >= 3.11 and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

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
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml forecaster > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast \
    && mkdir -p /opt/ml/model /opt/ml/models \
    && chown 10001:10001 /opt/ml/models

WORKDIR /opt/program
# scripts/ ships too, so `python -m scripts.cli lambdas init` (the compose init) runs from this image.
COPY services services
COPY scripts scripts
RUN /opt/venv/bin/python -m compileall -q services scripts

USER 10001
EXPOSE 8080
ENTRYPOINT ["/opt/venv/bin/python", "-m", "services.forecaster"]
CMD ["serve"]
