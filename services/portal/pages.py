"""The household's and the operator's pages: static files shipped in the image (`web/`), served by
the API's function on routes that need no token (the pages' data calls carry one)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from services.core.settings import Settings
from services.portal.errors import NotFoundError

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
HOUSEHOLD_PAGE = "index.html"
OPERATOR_PAGE = "operator.html"
# The pages load nothing from elsewhere; their only connections are this API (and, on AWS, the
# browser's redirect to Cognito's hosted UI, which is a navigation, not a fetch).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body.encode()).hexdigest()[:20] + '"'


@cache
def _files() -> dict[str, Asset]:
    folder = resources.files("services.portal") / "web"
    files: dict[str, Asset] = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in CONTENT_TYPES:
            files[entry.name] = Asset(entry.read_text(encoding="utf-8"), CONTENT_TYPES[suffix])
    return files


def asset(name: str) -> Asset:
    """A file of `web/` by its name; anything else (a path, a dot file, a missing file) is not found."""
    found = _files().get(name)
    if found is None or name.startswith("."):
        raise NotFoundError(f"no page file {name[:100]!r}")
    return found


def page_config(settings: Settings) -> dict[str, str | None]:
    return {
        "sign_in_url": settings.portal_sign_in_url or None,
        "household_claim": settings.portal_household_claim,
        "operator_group": settings.portal_operator_group,
    }
