"""The `wattcast` subcommands: argparse only. Each module's `register(subparsers)` adds its parser and
sets `func`, which imports the room that does the work when it runs (so `wattcast serve` never loads
moto, and `wattcast replay` never loads TensorFlow)."""

COMMAND_MODULES = (
    "scripts.commands.stack",
    "scripts.commands.replay",
    "scripts.commands.data",
    "scripts.commands.demo",
    "scripts.commands.serve",
    "scripts.commands.train",
    "scripts.commands.evaluate",
    "scripts.commands.models",
    "scripts.commands.forecast",
    "scripts.commands.lambdas",
    "scripts.commands.bench",
    "scripts.commands.containers",
    "scripts.commands.terraform",
    "scripts.commands.portal",
    "scripts.commands.report",
    "scripts.commands.monitor",
    "scripts.commands.cost",
)


def given(args: object, names: tuple[str, ...]) -> dict[str, object]:
    """The options the user gave (parsers declare them with default=argparse.SUPPRESS), so that the
    defaults live once, in the room's options dataclass."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}
