"""Response bodies are parsed fast (orjson) yet exactly as ``json`` reads them."""

from __future__ import annotations

import json

import httpx
import pytest

from pdsync.api.failures import UnreadableBodyError, decode_body


def body(raw: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(200, content=raw, headers={"content-type": content_type})


@pytest.mark.parametrize(
    "raw",
    [
        b'{"success":true,"data":[{"id":1,"name":"\\u00e9t\\u00e9","value":12.5}]}',
        b'{"data":{"big":18446744073709551615,"neg":-9223372036854775808,"f":1e-7}}',
        b'{"data":{"lone":"\\ud800 x","pair":"\\ud83d\\ude00","nul":"a\\u0000b"}}',
        b'{"data":{"n":NaN}}',
        b'\xef\xbb\xbf{"data":1}',
        b'{"data":{"digits":"12345678901234567890123"}}',
    ],
)
def test_bodies_read_as_json_reads_them(raw: bytes) -> None:
    expected = json.loads(raw.decode("utf-8-sig"))
    got = decode_body(body(raw), "GET")
    assert json.dumps(got) == json.dumps(expected)  # NaN != NaN: compare the texts
    assert type(got["data"]) is type(expected["data"])


def test_json_in_utf16_is_still_read() -> None:
    raw = '{"data":"caf\u00e9"}'.encode("utf-16")
    assert decode_body(body(raw), "GET") == {"data": "caf\u00e9"}


def test_garbage_is_still_unreadable() -> None:
    with pytest.raises(UnreadableBodyError):
        decode_body(body(b"<html>oops</html>"), "GET")
