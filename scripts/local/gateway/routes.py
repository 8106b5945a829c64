"""Which routes API Gateway serves without the JWT authorizer: the operations of the household API's
OpenAPI document that declare `security: []` (Terraform reads the same document's list)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class PublicRoutes:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def of_contract(cls) -> PublicRoutes:
        text = (resources.files("services.portal") / "openapi.yaml").read_text(encoding="utf-8")
        return cls.of_document(yaml.safe_load(text))

    @classmethod
    def of_document(cls, document: dict[str, object]) -> PublicRoutes:
        paths = document.get("paths")
        found: list[tuple[str, re.Pattern[str]]] = []
        for path, item in (paths if isinstance(paths, dict) else {}).items():
            for method, operation in item.items():
                if method in HTTP_METHODS and operation.get("security") == []:
                    found.append((method.upper(), _pattern(path)))
        return cls(tuple(found))

    def allows(self, method: str, path: str) -> bool:
        return any(m == method and p.fullmatch(path) for m, p in self.patterns)


def _pattern(template: str) -> re.Pattern[str]:
    """`/app/{file}` -> a pattern where each `{name}` is one path segment, as API Gateway matches."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
