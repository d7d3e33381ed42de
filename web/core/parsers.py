"""The API's JSON body parser: DRF's, with the limits a public endpoint needs.

DRF's own parser turns only ValueError into a 400 and accepts what PostgreSQL then
refuses; each of these was a 500 and is a 4xx here:

- nesting deeper than MAX_DEPTH (Python's parser fails with RecursionError near 1,000);
- a number too large for a float (`1e400` parses as infinity, which no JSON column takes);
- text PostgreSQL cannot store: the NUL character and unpaired UTF-16 surrogates
  (`"\\ud800"`); these name the field, like any validation error.

The body's size is bounded before parsing by Django (DATA_UPLOAD_MAX_MEMORY_SIZE; a
larger body is a 413, see web/core/errors.py).
"""

from __future__ import annotations

import json
import math
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser, get_encoding

MAX_DEPTH = 32


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Text may not contain the NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Text may not contain an unpaired UTF-16 surrogate."
    return None


def check_document(data: Any) -> None:
    """Reject nesting deeper than MAX_DEPTH and text PostgreSQL cannot store, naming where."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                raise exceptions.ValidationError({path or "non_field_errors": [problem]})
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            where = path or "the top"
            raise exceptions.ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels at {where}")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                problem = _text_problem(key)
                if problem:
                    # Named by where the key is, not by the key: echoing it would not encode.
                    raise exceptions.ValidationError({path or "non_field_errors": [f"A key: {problem}"]})
            stack.append((item, f"{path}.{key}" if path else str(key), depth + 1))


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        raw = stream.read()
        encoding = get_encoding(parser_context or {})
        try:
            data = json.loads(raw.decode(encoding), parse_float=_finite_float, parse_constant=_no_constant)
        except RecursionError:
            raise exceptions.ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels") from None
        except ValueError as exc:  # also a body that is not valid in its charset
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        check_document(data)
        return data
