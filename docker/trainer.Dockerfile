# SageMaker training image of the scheduled retraining (EventBridge Scheduler -> Step Functions ->
# CreateTrainingJob). SageMaker runs `docker run IMAGE train`: `scripts/registry/training_job.py` reads
# /opt/ml/input/config/hyperparameters.json (model = lstm | prophet, ...) and runs
# `wattcast models retrain`: train on the hourly table before the recent holdout, publish a new
# versioned bundle with its metadata sidecar, and move the slot's SSM pointer only if the challenger
# beats the champion on the holdout. The report lands in /opt/ml/output/data/retrain.json.
# Build from the repository root: docker build -f docker/trainer.Dockerfile -t wattcast-trainer .
#
# DEVIATION from "what is in services/ ships to AWS, nothing else does": training lives in scripts/
# (scripts/training, scripts/data, scripts/evaluation, scripts/registry), so this image copies scripts/
# as well. It ships as a batch job's image only (never a Lambda or the endpoint), holds no credentials,
# and runs the same code `wattcast models retrain` runs on a laptop.
# BASE_IMAGE: any Debian-like image with python3 >= 3.11 and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/opt/program \
    MPLCONFIGDIR=/tmp/matplotlib \
    TF_CPP_MIN_LOG_LEVEL=2

# Dependencies first (this layer changes only with pyproject.toml): the base deps + the train extra
# (TensorFlow, tf2onnx, LightGBM, Prophet and the forecaster's runtimes, which score the holdout).
COPY pyproject.toml docker/requirements.py /tmp/build/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml train > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast \
    && mkdir -p /opt/ml/input/config /opt/ml/output/data /opt/ml/model \
    && chown -R 10001:10001 /opt/ml

WORKDIR /opt/program
COPY services services
COPY scripts scripts
COPY model_bundles model_bundles
RUN /opt/venv/bin/python -m compileall -q services scripts model_bundles

USER 10001
ENTRYPOINT ["/opt/venv/bin/python", "-m", "scripts.registry.training_job"]
CMD ["train"]
