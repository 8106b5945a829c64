# Lambda container image of the household API, alerts and statements functions (services/portal),
# with the pages in services/portal/web (make setup vendors their chart library there first).
# awslambdaric polls the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API and calls the handler named by
# CMD. Build from the repository root: docker build -f docker/portal.Dockerfile -t wattcast-portal .
# BASE_IMAGE: any Debian-like image with python3 >= 3.11 and its venv module.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LAMBDA_TASK_ROOT=/var/task \
    PYTHONPATH=/var/task \
    MPLCONFIGDIR=/tmp/matplotlib

# Dependencies first (this layer changes only with pyproject.toml): the base deps + the statement extra
# (the portal's, with matplotlib, fpdf2 and Jinja2 for the statements).
COPY pyproject.toml docker/requirements.py /tmp/build/
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml statement > /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wattcast

WORKDIR /var/task
COPY services/__init__.py services/
COPY services/core services/core
COPY services/portal services/portal
RUN /opt/venv/bin/python -m compileall -q services

USER 10001
ENTRYPOINT ["/opt/venv/bin/python", "-m", "awslambdaric"]
# The alerts function is the same image with CMD services.portal.handler.alerts_handler, the statements
# function with CMD services.portal.statement_handler.statements_handler.
CMD ["services.portal.handler.api_handler"]
