"""`python -m services.forecaster serve`: the image's entry point (SageMaker runs `IMAGE serve`)."""

import sys

from services.core.settings import Settings
from services.forecaster.serve import options_from, serve


def main(argv: list[str]) -> int:
    if argv[:1] != ["serve"]:
        print("usage: python -m services.forecaster serve", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    return serve(settings, options_from(settings))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
