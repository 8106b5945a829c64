# EMR Serverless custom image of the per-household Prophet training on Spark
# (terraform/modules/spark_training: EventBridge Scheduler -> Step Functions ->
# emr-serverless:startJobRun.sync). The job's entry point is
# local:///opt/program/scripts/training/engines/spark.py, i.e. `wattcast train prophet --engine spark
# --spark-master submit` with the arguments the state machine passes (--raw-archive s3://<bucket>/raw/
# or --parquet s3://..., --models-prefix s3://<bucket>/models/prophet-spark/, --train-end <date>):
# groupBy(household_id).applyInPandas(train_one) on EMR's Spark.
#
# NOT BUILT OR RUN HERE: this machine reaches no image registry (public.ecr.aws included), so the image
# has never been built in this repository's tests. Build and push it from a machine that can (the
# module's README has the commands):
#   docker build -f docker/spark.Dockerfile -t <account>.dkr.ecr.<region>.amazonaws.com/wattcast-spark:<tag> .
#
# DEVIATION from "what is in services/ ships to AWS, nothing else does": training lives in scripts/
# (scripts/training, scripts/data), so this image copies scripts/ as well, as docker/trainer.Dockerfile
# does. It ships as a batch job's image only (never a Lambda or the endpoint), holds no credentials
# (the job runtime role gives the access), and runs the code `wattcast train prophet --engine spark`
# runs on a laptop.
#
# BASE_IMAGE: EMR Serverless's Spark image of the application's release (terraform release_label,
# emr-7.x: Amazon Linux 2023, Spark 3.5, Java 17). EMR Serverless requires a custom image to start
# FROM it, keep its ENTRYPOINT, and end as USER hadoop.
ARG BASE_IMAGE=public.ecr.aws/emr-serverless/spark/emr-7.5.0:latest
FROM ${BASE_IMAGE}

# hadolint ignore=DL3066
USER root

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    TF_CPP_MIN_LOG_LEVEL=2

# The project needs Python >= 3.11; EMR 7's system Python is 3.9, so the job runs a 3.11 venv
# (PYSPARK_PYTHON in the module's spark-submit parameters). The dependencies are the `train` extra
# (Prophet, cmdstanpy, pandas, boto3 and what scripts.training imports) plus pyarrow for applyInPandas.
# Not pyspark: the driver and the executors use EMR's own Spark 3.5 Python package, which must match
# its JVM (the `spark` extra's pyspark 4.0 is for local mode).
COPY pyproject.toml docker/requirements.py /tmp/build/
# The release's own Amazon Linux 2023 repository fixes python3.11's version (BASE_IMAGE pins the release).
# hadolint ignore=DL3041
RUN dnf install -y python3.11 python3.11-pip \
    && dnf clean all \
    && python3.11 -m venv /opt/venv \
    && /opt/venv/bin/python /tmp/build/requirements.py /tmp/build/pyproject.toml train > /tmp/build/requirements.txt \
    && echo "pyarrow>=15" >> /tmp/build/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/build/requirements.txt \
    && rm -rf /tmp/build \
    && echo /opt/program > /opt/venv/lib/python3.11/site-packages/wattcast.pth

# The project on the venv's path (the .pth above), not PYTHONPATH: spark-submit sets PYTHONPATH for
# EMR's pyspark, and the job must not replace it.
WORKDIR /opt/program
COPY services services
COPY scripts scripts
COPY model_bundles model_bundles
RUN /opt/venv/bin/python -m compileall -q services scripts model_bundles

# EMR Serverless runs the job as hadoop and requires the image to end with it.
# hadolint ignore=DL3066
USER hadoop:hadoop
