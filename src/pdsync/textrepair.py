"""Text that is not valid Unicode, repaired: lone surrogates and NUL become U+FFFD.

JSON's ``\\uXXXX`` escapes can say what no UTF-8 text can: a lone UTF-16 surrogate
(``"\\ud800"``), which Python's ``json`` decodes to a ``str`` holding that code point,
and NUL (``"\\u0000"``). A surrogate makes every destination's write fail
(``UnicodeEncodeError``: SQLite, DuckDB, PostgreSQL and files all store UTF-8); NUL is
refused by PostgreSQL's ``text`` and ``jsonb``. Pipedrive stores what its users type, so
one such value must not crash a sync or drop the batch around it.

Both are replaced with U+FFFD (the replacement character), everywhere:

* a surrogate *pair* written as two code points is joined into the character it
  encodes (``"\\ud83d\\ude00"`` is 😀); a lone one becomes U+FFFD;
* NUL becomes U+FFFD for every destination, not only PostgreSQL: a replica's values
  then do not depend on where it is kept (a SQLite replica and a PostgreSQL one of the
  same account compare equal), and NUL in CRM text is never meant (it comes from
  binary pasted into a form) while it breaks C-string tools, CSV readers and ``psql``.

Detection is on the hot path, so it works on large texts at C speed: a whole page's
strings joined are checked with ``in``, ``isascii`` and ``encode`` (which fails on a
surrogate); only a text found dirty is looked at value by value.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "REPLACEMENT",
    "CheckedRows",
    "is_clean",
    "is_clean_json",
    "repair_text",
    "repair_value",
]

REPLACEMENT = "\ufffd"


class CheckedRows(list[dict[str, Any]]):
    """Rows whose text normalisation has already checked (and repaired where needed).

    Destinations skip their own check of such rows (it would join the same text again);
    any other sequence of rows is checked there.
    """


def is_clean(text: str) -> bool:
    """Whether ``text`` holds neither NUL nor a surrogate code point."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_clean_json(text: str) -> bool:
    """Whether JSON text (dumped with ``ensure_ascii=False``) encodes only clean strings.

    Such text holds surrogates as they are and NUL as the escape ``\\u0000``; a
    ``\\u0000`` that is really an escaped backslash followed by ``u0000`` only costs a
    needless look at the values.
    """
    return "\\u0000" not in text and is_clean(text)


def repair_text(text: str) -> str:
    """``text`` with surrogate pairs joined, lone surrogates and NUL replaced by U+FFFD."""
    if is_clean(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def repair_value(value: Any) -> tuple[Any, int]:
    """``value`` with every string in it repaired (dict keys too); how many strings changed.

    Lists and dicts are copied only when something in them changed.
    """
    kind = type(value)
    if kind is str:
        fixed = repair_text(value)
        return (value, 0) if fixed is value else (fixed, 1)
    if kind is list or kind is tuple:
        items = [repair_value(v) for v in value]
        count = sum(c for _, c in items)
        return (kind(v for v, _ in items), count) if count else (value, 0)
    if kind is dict:
        count = 0
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key, key_count = repair_value(key) if type(key) is str else (key, 0)
            new_item, item_count = repair_value(item)
            count += key_count + item_count
            out[new_key] = new_item
        return (out, count) if count else (value, 0)
    return value, 0
