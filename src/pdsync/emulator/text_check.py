"""Refuse request text the API could not store and serve back as valid JSON.

JSON escapes can spell strings that are not Unicode text: ``"\\ud800"`` (a lone
surrogate) parses into a Python str that cannot be encoded as UTF-8, and ``1e400``
or ``NaN`` become floats that JSON cannot carry. Stored, such a value would poison
every later response that includes it. Pipedrive rejects invalid input with a 400,
so the emulator refuses these at parse time too, naming the field, rather than
repairing them (repair would change data silently; refusal tells the client).
"""

from __future__ import annotations

import math
from typing import Any


class InvalidText(ValueError):
    """A request body value that is not storable; the message names where it is."""


def check_json_value(value: Any, where: str = "") -> None:
    """Raise :class:`InvalidText` for the first lone surrogate or non-finite number."""
    if isinstance(value, str):
        if not _is_text(value):
            raise InvalidText(f"The '{where or 'body'}' field is not valid Unicode text "
                              "(unpaired surrogate)")  # fmt: skip
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidText(f"The '{where or 'body'}' field is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if not _is_text(key):
                raise InvalidText(f"A field name in '{where or 'body'}' is not valid Unicode "
                                  "text (unpaired surrogate)")  # fmt: skip
            check_json_value(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{where}[{index}]")


def _is_text(text: str) -> bool:
    if text.isascii():  # the common case, checked in C
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
