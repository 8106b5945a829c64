# A stand-in for LocalStack on hosts that cannot pull it: moto's server on port 4566.
# Used by docker/compose.moto.yml (docker compose -f docker-compose.yml -f docker/compose.moto.yml up).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir "moto[server]==5.2.5" \
    && useradd --no-log-init --system --uid 10001 --no-create-home --shell /usr/sbin/nologin moto

USER 10001
EXPOSE 4566
ENTRYPOINT ["/opt/venv/bin/moto_server", "-H", "0.0.0.0", "-p", "4566"]
