"""The API's JSON parser: DRF's, with a bound on nesting.

Python's decoder recurses once per level, so a body like ``[[[[…]]]]`` 2 000 deep raises
RecursionError (a 500) instead of a parse error. No request of ours nests deeper than a few levels;
anything past ``MAX_DEPTH`` is refused as malformed, with the API's usual 400.
"""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels)."


def nesting_depth(value) -> int:
    """How deep lists and objects nest in a parsed JSON value, walked without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
