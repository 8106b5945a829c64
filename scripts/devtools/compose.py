"""The docker-compose flow on this host: the Docker daemon, the compose files, up, wait, down.

On hosts that cannot pull (no LocalStack, no python base image) and whose containers may use only the
host's network, the stack is docker-compose.yml plus docker/compose.moto.yml (moto's server plays
LocalStack) plus docker/compose.host.yml (every service on the host's network, on 127.0.0.1), merged by
`docker-compose config` and written without `ports:` (Docker refuses published ports on the host's
network, and an override cannot remove them in compose v1): `wattcast containers compose`, and
`make test-compose`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scripts.devtools.containers import REPO, TOOLS, ContainersError, docker_engine

COMPOSE_FILES = ("docker-compose.yml", "docker/compose.moto.yml", "docker/compose.host.yml")
PROJECT = "wattcast"
# What the host-network stack listens on (docker/compose.host.yml): AWS, forecaster, household API,
# and the runner's and portal's Lambda Runtime APIs.
HOST_PORTS = (4566, 8080, 8090, 9001, 9002, 9003, 9004, 9005, 9006)
AWS_ENDPOINT = "http://127.0.0.1:4566"
HOST_FILE = TOOLS / "compose.host-network.yml"


def compose_command() -> list[str] | None:
    """docker-compose (v1, Debian's) if installed, else the `docker compose` plugin, else None."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    plugin = [docker, "compose"] if docker else []
    if plugin and subprocess.run([*plugin, "version"], check=False, capture_output=True).returncode == 0:
        return plugin
    return None


def ensure_docker_daemon(timeout: float = 60) -> subprocess.Popen[bytes] | None:
    """Start dockerd when none answers (as root, with no bridge and no iptables rules: containers use
    the host's network only). Returns the process started, or None when one was running already."""
    if docker_engine() is not None:
        return None
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        raise ContainersError(
            "no Docker daemon answers, and dockerd cannot be started (needs root + docker.io)"
        )
    TOOLS.mkdir(parents=True, exist_ok=True)
    log = (TOOLS / "dockerd.log").open("ab")
    daemon = subprocess.Popen([dockerd, "--bridge=none", "--iptables=false"], stdout=log, stderr=log)
    deadline = time.monotonic() + timeout
    while docker_engine() is None:
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            raise ContainersError(f"dockerd did not start: see {TOOLS / 'dockerd.log'}")
        time.sleep(0.5)
    return daemon


def ports_in_use(ports: tuple[int, ...] = HOST_PORTS) -> list[int]:
    """The host ports the stack needs that something already listens on."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


@dataclass
class ComposeStack:
    """One compose project of the three files, built FROM `base_image`."""

    base_image: str
    project: str = PROJECT
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, capture: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = compose_command()
        if command is None:
            raise ContainersError("neither docker-compose nor `docker compose` is installed")
        if not HOST_FILE.exists():
            self.write_host_file()
        full = [*command, "-p", self.project, "--project-directory", str(REPO), "-f", str(HOST_FILE), *args]
        return self._run(full, capture, check)

    def write_host_file(self) -> Path:
        """The merged compose files, as one file without published ports."""
        command = compose_command()
        if command is None:
            raise ContainersError("neither docker-compose nor `docker compose` is installed")
        files = [arg for name in COMPOSE_FILES for arg in ("-f", str(REPO / name))]
        merged = yaml.safe_load(self._run([*command, *files, "config"], True, True).stdout)
        for service in merged["services"].values():
            service.pop("ports", None)
        HOST_FILE.parent.mkdir(parents=True, exist_ok=True)
        HOST_FILE.write_text(yaml.safe_dump(merged, sort_keys=False))
        return HOST_FILE

    def _run(self, command: list[str], capture: bool, check: bool) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BASE_IMAGE": self.base_image, **self.env}
        result = subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=capture, check=False)
        if check and result.returncode != 0:
            detail = (result.stderr or "").strip()[-3000:]
            raise ContainersError(f"`{' '.join(command[-3:])}` exited {result.returncode}: {detail}")
        return result

    def build(self) -> float:
        started = time.monotonic()
        self.write_host_file()
        self.run("build")
        return time.monotonic() - started

    def up(self) -> float:
        """Start every service (detached); returns the seconds until init has created the resources."""
        busy = ports_in_use()
        if busy:
            raise ContainersError(f"ports in use on 127.0.0.1, needed by the stack: {busy}")
        started = time.monotonic()
        self.write_host_file()
        self.run("up", "-d", "--no-build")
        self.wait_exited("init", timeout=180)
        return time.monotonic() - started

    def container_id(self, service: str) -> str:
        ids = self.run("ps", "-a", "-q", service, capture=True).stdout.split()
        if not ids:
            raise ContainersError(f"no container for service {service}")
        return ids[0]

    def wait_exited(self, service: str, timeout: float) -> None:
        """Wait for a one-shot service to exit 0 (its logs in the error otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                container = self.container_id(service)
            except ContainersError:
                time.sleep(1)
                continue
            state = subprocess.run(
                ["docker", "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", container],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if state and state[0] == "exited":
                if state[1] != "0":
                    raise ContainersError(f"{service} exited {state[1]}:\n{self.logs(service)}")
                return
            time.sleep(1)
        raise ContainersError(f"{service} did not finish in {timeout:.0f} s:\n{self.logs(service)}")

    def running(self) -> set[str]:
        return set(self.run("ps", "--services", "--filter", "status=running", capture=True).stdout.split())

    def logs(self, *services: str, tail: int = 200) -> str:
        result = self.run("logs", "--no-color", f"--tail={tail}", *services, capture=True, check=False)
        return result.stdout + result.stderr

    def down(self) -> None:
        self.run("down", "--volumes", "--remove-orphans", "--timeout", "10", check=False)
