"""The terraform binary against a copy of terraform/, offline: the provider comes from a filesystem
mirror (a `registry.terraform.io` folder), never from the registry."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.devtools.terraform import TERRAFORM_DIR
from services.core.errors import WattcastError

MIRROR_ENV = "WATTCAST_TF_PLUGIN_DIR"
MIRROR_NAME = "registry.terraform.io"


EMULATED_SERVICES = (
    "apigatewayv2", "applicationautoscaling", "cloudwatch", "cognitoidp", "dynamodb", "ecr", "events",
    "iam", "kinesis", "kms", "lambda", "logs", "s3", "sagemaker", "scheduler", "sfn", "sns", "sqs", "ssm",
    "sts",
)  # fmt: skip
EMULATOR_OVERRIDE = """\
# Written by the tests: every service at the emulator on loopback (its endpoint is plain HTTP).
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}

module "storage" {{
  deny_insecure_transport = false
}}
"""
# moto 5.2.5 reads back what it does not store: DescribeModel answers EnableNetworkIsolation false
# (hard-coded in moto.sagemaker.models.Model) and an empty VpcConfig, DescribeEndpointConfig an empty
# DataCaptureConfig. The provider sees drift on arguments that force a new model and configuration
# under the same hashed name, so every apply would replace them (and moto, which lets the new one
# overwrite the old, then deletes the deposed one by that name). Only the private copy gets this.
SAGEMAKER_EMULATOR_OVERRIDE = """\
# Written by the tests: moto does not keep these; see scripts/devtools/terraform_cli.py.
resource "aws_sagemaker_model" "this" {
  lifecycle {
    ignore_changes = [enable_network_isolation, vpc_config]
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  lifecycle {
    ignore_changes = [data_capture_config]
  }
}
"""


class TerraformRunError(WattcastError):
    """A terraform command failed; the message carries the end of its output."""


def provider_mirror() -> Path | None:
    """$WATTCAST_TF_PLUGIN_DIR, else the parent of a `registry.terraform.io` folder near the root."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        return Path(configured) if (Path(configured) / MIRROR_NAME).is_dir() else None
    for pattern in (f"*/{MIRROR_NAME}", f"*/*/{MIRROR_NAME}"):
        found = sorted(Path("/").glob(pattern))
        if found:
            return found[0].parent
    return None


@dataclass(frozen=True)
class Workspace:
    """A root of a private copy of terraform/ (state and .terraform stay out of the checkout)."""

    root: Path
    plugin_dir: Path

    @classmethod
    def copy(cls, work: Path, env: str, plugin_dir: Path) -> Workspace:
        shutil.copytree(TERRAFORM_DIR, work / "terraform", dirs_exist_ok=True, ignore=_ignored)
        return cls(work / "terraform" / "envs" / env, plugin_dir)

    def run(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_CLI_ARGS": "-no-color",
            "TF_CLI_CONFIG_FILE": "/dev/null",
        }
        done = subprocess.run(
            ["terraform", *args], cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode not in ok_codes:
            raise TerraformRunError(
                f"terraform {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
            )
        return done

    def init(self) -> None:
        self.run("init", "-backend=false", "-input=false", f"-plugin-dir={self.plugin_dir}")

    def point_at_emulator(self, endpoint: str) -> Path:
        """Write an override (as tflocal generates one) that sends every AWS service of the root to
        `endpoint`, with the emulator's fake credentials and no account lookups."""
        lines = "\n".join(f'    {service:<22} = "{endpoint}"' for service in EMULATED_SERVICES)
        override = self.root / "emulator_override.tf"
        override.write_text(EMULATOR_OVERRIDE.format(endpoints=lines))
        sagemaker = self.root.parents[1] / "modules" / "sagemaker_endpoint"
        if sagemaker.is_dir():  # the private copy's module: what moto does not store, not drift
            (sagemaker / "emulator_override.tf").write_text(SAGEMAKER_EMULATOR_OVERRIDE)
        return override


def _ignored(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in (".terraform", "terraform.tfstate", "terraform.tfstate.backup")}
