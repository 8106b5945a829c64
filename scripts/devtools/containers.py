"""Build and smoke-run Wattcast's images with podman (or a running Docker engine).

`wattcast containers base`   debootstrap a Debian bookworm base with python3 (for hosts that cannot
                             pull images), imported as localhost/wattcast-base:bookworm
`wattcast containers build`  build every image from docker/ (`--base` picks the base image)
`wattcast containers smoke`  run each image once and check what it answers

Podman is configured through a project-local containers.conf (runc, raised ulimits, host network),
unless CONTAINERS_CONF is set already.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from services.core.errors import WattcastError

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "containers"
BASE_TAG = "localhost/wattcast-base:bookworm"
DEFAULT_BASE = "python:3.11-slim-bookworm"  # the Dockerfiles' own default
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
netns = "host"

[engine]
runtime = "runc"
"""


@dataclass(frozen=True)
class Image:
    name: str
    dockerfile: Path
    needs: Path  # the image is built only when this source file exists
    target: str | None = None  # a build stage other than the Dockerfile's last
    build_args: tuple[tuple[str, str], ...] = ()

    @property
    def tag(self) -> str:
        return f"localhost/wattcast-{self.name}:dev"


IMAGES = (
    Image("ingest", REPO / "docker/ingest.Dockerfile", REPO / "services/ingest/handler.py"),
    Image("preprocess", REPO / "docker/preprocess.Dockerfile", REPO / "services/preprocess/handler.py"),
    Image("portal", REPO / "docker/portal.Dockerfile", REPO / "services/portal/handler.py"),
    Image("accuracy", REPO / "docker/accuracy.Dockerfile", REPO / "services/accuracy/handler.py"),
    Image("trainer", REPO / "docker/trainer.Dockerfile", REPO / "scripts/registry/training_job.py"),
    Image("forecaster", REPO / "docker/forecaster.Dockerfile", REPO / "services/forecaster/serve.py"),
    Image("runner", REPO / "docker/runner.Dockerfile", REPO / "scripts/local/lambda_runner.py"),
    # the SageMaker image without TensorFlow: bundles that carry model.onnx, and Prophet
    Image(
        "forecaster-slim",
        REPO / "docker/forecaster.Dockerfile",
        REPO / "services/forecaster/serve.py",
        build_args=(("FORECASTER_EXTRA", "forecaster-slim"),),
    ),
    # compose's forecaster: the SageMaker image plus the local SageMaker Runtime path
    Image(
        "forecaster-local",
        REPO / "docker/forecaster.Dockerfile",
        REPO / "scripts/local/sagemaker_runtime.py",
        target="local",
    ),
)


class ContainersError(WattcastError):
    """The container engine is missing or a build or run failed."""


# ---- the engine -----------------------------------------------------------------------------------


def engine() -> str | None:
    """$WATTCAST_CONTAINER_ENGINE (podman or docker) if set, else podman if installed, else docker if
    its daemon answers, else None."""
    chosen = os.environ.get("WATTCAST_CONTAINER_ENGINE")
    if chosen:
        return shutil.which(chosen) if chosen != "docker" else docker_engine()
    return shutil.which("podman") or docker_engine()


def docker_engine() -> str | None:
    """The docker client, when a Docker daemon answers it."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0:
        return docker
    return None


def engine_env() -> dict[str, str]:
    """The environment for engine commands: podman reads the project's containers.conf."""
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env:
        conf = TOOLS / "containers.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        if not conf.exists() or conf.read_text() != CONTAINERS_CONF:
            conf.write_text(CONTAINERS_CONF)
        env["CONTAINERS_CONF"] = str(conf)
    return env


def require_engine() -> str:
    found = engine()
    if found is None:
        raise ContainersError("no container engine: install podman (apt-get install podman runc) or Docker")
    return found


def run_engine(*args: str, capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [require_engine(), *args]
    result = subprocess.run(command, env=engine_env(), text=True, capture_output=capture, check=False)
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:]
        raise ContainersError(f"`{' '.join(command[:4])} ...` exited {result.returncode}: {detail}")
    return result


def image_exists(tag: str) -> bool:
    return run_engine("image", "inspect", tag, capture=True, check=False).returncode == 0


def image_size_mb(tag: str) -> float:
    size = run_engine("image", "inspect", "--format", "{{.Size}}", tag, capture=True).stdout
    return int(size.strip()) / 1e6


# ---- base: a debootstrapped bookworm with python3 -------------------------------------------------


def make_base(tag: str = BASE_TAG, mirror: str = DEBIAN_MIRROR, suite: str = "bookworm") -> float:
    """Debootstrap `suite` (minbase + python3, venv, CA certificates) and import it; returns seconds."""
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise ContainersError(f"{tool} is needed for the base image (apt-get install debootstrap)")
    started = time.monotonic()
    root = TOOLS / f"rootfs-{suite}"
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    include = "--include=" + ",".join(BASE_PACKAGES)
    subprocess.run(["debootstrap", "--variant=minbase", include, suite, str(root), mirror], check=True)
    trust_host_cas(root)
    for leftover in ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "var/log"):
        shutil.rmtree(root / leftover, ignore_errors=True)
        (root / leftover).mkdir(parents=True, exist_ok=True)
    archive = TOOLS / f"rootfs-{suite}.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(archive), "."], check=True)
    changes = [
        "ENV LANG=C.UTF-8",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        # Debian's pip trusts only its own certifi bundle; point it at the system's (with the host CAs).
        "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        'CMD ["/bin/bash"]',
    ]
    run_engine("import", *(arg for change in changes for arg in ("--change", change)), str(archive), tag)
    archive.unlink()
    shutil.rmtree(root, ignore_errors=True)
    return time.monotonic() - started


def trust_host_cas(root: Path) -> list[str]:
    """Copy the host's extra CA certificates into the root file system and rebuild its bundle."""
    target = root / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    copied = [path.name for path in sorted(HOST_CA_DIR.glob("*.crt"))]
    for name in copied:
        shutil.copy2(HOST_CA_DIR / name, target / name)
    if not copied and HOST_CA_BUNDLE.exists():  # no extra CAs listed: trust the host's whole bundle
        shutil.copy2(HOST_CA_BUNDLE, target / "host-bundle.crt")
        copied = ["host-bundle.crt"]
    subprocess.run(["chroot", str(root), "update-ca-certificates"], check=True, capture_output=True)
    return copied


# ---- build ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    image: Image
    seconds: float
    size_mb: float


def build(images: list[Image], base: str, *, no_cache: bool = False) -> list[Built]:
    built = []
    for image in images:
        started = time.monotonic()
        run_engine(
            "build",
            "--network=host",
            *(["--no-cache"] if no_cache else []),
            *(["--target", image.target] if image.target else []),
            *(arg for name, value in image.build_args for arg in ("--build-arg", f"{name}={value}")),
            "--build-arg",
            f"BASE_IMAGE={base}",
            "-f",
            str(image.dockerfile),
            "-t",
            image.tag,
            str(REPO),
        )
        built.append(Built(image, time.monotonic() - started, image_size_mb(image.tag)))
        print(f"built {image.tag} in {built[-1].seconds:.0f} s, {built[-1].size_mb:,.0f} MB", flush=True)
    return built


def selected(names: list[str] | None) -> list[Image]:
    chosen = [image for image in IMAGES if not names or image.name in names]
    for image in chosen:
        if not image.needs.exists():
            print(f"skipping {image.name}: {image.needs.relative_to(REPO)} does not exist yet")
    return [image for image in chosen if image.needs.exists()]
