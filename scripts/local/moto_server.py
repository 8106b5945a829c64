"""moto's server for the local modes, with two of its DynamoDB costs cut to what DynamoDB's are.

- moto 5.2's `Table.query` on a table's own key gathers and sorts every item of the table, then
  keeps those of the asked partition: each Query costs the whole table. At a fleet's size that is
  most of the emulator's time (1,000 households x 48 hours: about 0.1 s a Query, whatever it
  returns), and it grows with the fleet, which no DynamoDB does. Here that one step reads the asked
  partition only; the sort, the key conditions, the filters, the pages and the limits stay moto's
  own. Queries of an index and every other operation are untouched.
- `Item.project` turns the whole item into plain JSON and back for every item a projection returns
  (about 2 ms for an hourly item with its minute set). A projection of top-level scalar attributes
  (preprocess's sums and counts) here picks them; anything else (nested paths, sets, maps, lists,
  binary) is moto's own.

The tests check the answers against moto's unchanged code.

`python -m scripts.local.moto_server --host 127.0.0.1 --port N` takes moto.server's arguments.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

_ORIGINAL_QUERY: Callable[..., Any] = Table.query
_ORIGINAL_ALL_ITEMS: Callable[..., Any] = Table.all_items
_ORIGINAL_PROJECT: Callable[..., Any] = Item.project
_QUERY_SIGNATURE = inspect.signature(_ORIGINAL_QUERY)
_PICKABLE_TYPES = frozenset({"S", "N", "BOOL", "NULL"})  # sets: moto hands them back reordered
_asked = threading.local()  # the table and partition of the Query this server thread is answering


def _query_one_partition(self: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = _QUERY_SIGNATURE.bind(self, *args, **kwargs).arguments
    if arguments.get("index_name") or arguments.get("hash_key") is None:
        return _ORIGINAL_QUERY(self, *args, **kwargs)
    _asked.partition = (self, arguments["hash_key"])
    try:
        return _ORIGINAL_QUERY(self, *args, **kwargs)
    finally:
        _asked.partition = None


def _items_of_the_asked_partition(self: Table) -> Any:
    asked = getattr(_asked, "partition", None)
    if asked is None or asked[0] is not self:
        return _ORIGINAL_ALL_ITEMS(self)
    partition = self.items.get(asked[1])  # .get: the items are a defaultdict, a miss must not add one
    if partition is None:
        return []
    return list(partition.values()) if self.range_key_attr else [partition]


def _picked(self: Item, projection_expressions: list[list[str]]) -> Item:
    names = [path[0] for path in projection_expressions if len(path) == 1 and "[" not in path[0]]
    picked = {name: self.attrs[name] for name in names if name in self.attrs}
    if len(names) != len(projection_expressions) or any(
        a.type not in _PICKABLE_TYPES for a in picked.values()
    ):
        projected: Item = _ORIGINAL_PROJECT(self, projection_expressions)
        return projected
    values = {
        name: {a.type: list(a.value) if isinstance(a.value, list) else a.value} for name, a in picked.items()
    }
    return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=values)


def install() -> None:
    Table.query = _query_one_partition  # type: ignore[method-assign]
    Table.all_items = _items_of_the_asked_partition  # type: ignore[method-assign]
    Item.project = _picked  # type: ignore[method-assign]


def uninstall() -> None:
    Table.query = _ORIGINAL_QUERY  # type: ignore[method-assign]
    Table.all_items = _ORIGINAL_ALL_ITEMS  # type: ignore[method-assign]
    Item.project = _ORIGINAL_PROJECT  # type: ignore[method-assign]


@contextmanager
def installed() -> Iterator[None]:
    install()
    try:
        yield
    finally:
        uninstall()


def main() -> None:
    from moto import server

    install()
    server.main()


if __name__ == "__main__":
    main()
