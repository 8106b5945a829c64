"""Print the requirements of Wattcast's base dependencies plus the given extras, one per line.

The images install these in their own layer, before the code is copied, so editing code does not
reinstall dependencies: `python requirements.py pyproject.toml ingest > requirements.txt`.
"""

import re
import sys
import tomllib
from pathlib import Path
from typing import Any


def requirements(project: dict[str, Any], extras: list[str]) -> list[str]:
    name = project["name"]
    optional = project.get("optional-dependencies", {})
    seen: set[str] = set()
    lines: list[str] = list(project.get("dependencies", []))
    pending = list(extras)
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in optional[extra]:
            self_reference = re.fullmatch(rf"{re.escape(name)}\[([^\]]+)\]", requirement.strip())
            if self_reference:
                pending.extend(part.strip() for part in self_reference.group(1).split(","))
            else:
                lines.append(requirement)
    return sorted(set(lines))


if __name__ == "__main__":
    with Path(sys.argv[1]).open("rb") as file:
        print("\n".join(requirements(tomllib.load(file)["project"], sys.argv[2:])))
