"""Who is asking: the claims API Gateway's JWT authorizer verified, read into a principal.

API Gateway rejects a missing, expired or forged token with 401 before the function runs; the
function still refuses a request that arrives without claims (a misconfigured route). A household's
token carries its id in a claim (Cognito: a custom attribute); an operator's is in the operators
group and reads every household.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.portal.errors import ForbiddenError, UnauthorizedError

GROUPS_CLAIM = "cognito:groups"


@dataclass(frozen=True)
class Principal:
    subject: str
    household_id: str | None
    operator: bool

    def check_reaches(self, household_id: str) -> None:
        if not (self.operator or self.household_id == household_id):
            raise ForbiddenError("this token does not reach that household")

    def check_operator(self) -> None:
        if not self.operator:
            raise ForbiddenError("this is an operator's view; the token is not an operator's")


def principal_of(claims: Mapping[str, Any] | None, *, household_claim: str, operator_group: str) -> Principal:
    if not claims or not claims.get("sub"):
        raise UnauthorizedError("a valid bearer token is required")
    household = claims.get(household_claim)
    operator = operator_group in _groups(claims.get(GROUPS_CLAIM))
    if not operator and not isinstance(household, str):
        raise ForbiddenError("this token names no household")
    return Principal(str(claims["sub"]), household if isinstance(household, str) else None, operator)


def _groups(value: Any) -> list[str]:
    """API Gateway passes list claims as text: `[a b]` or a JSON list, depending on the token."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str):
        return []
    try:
        parsed = json.loads(value)
        if isinstance(parsed, list):
            return [str(v) for v in parsed]
    except ValueError:
        pass
    return value.strip("[]").replace(",", " ").split()
