from __future__ import annotations

import logging

import pytest

from pdsync.errors import AuthError
from pdsync.redact import MASK, install_log_redaction, redact, redact_obj, register_secret


def test_registered_secrets_are_masked_everywhere() -> None:
    register_secret("registered-secret-42")
    assert redact("x registered-secret-42 y") == f"x {MASK} y"
    assert redact_obj({"a": ["registered-secret-42"]}) == {"a": [MASK]}


@pytest.mark.parametrize(
    "text,leak",
    [
        ("GET /v1/deals?api_token=abc123def&x=1", "abc123def"),
        ("Authorization: Bearer eyJ.abc.def", "eyJ.abc.def"),
        ("x-api-token: tok987654", "tok987654"),
        ("postgresql://user:hunter22@db/x", "hunter22"),
        ('{"refresh_token": "r-555-abc"}', "r-555-abc"),
    ],
)
def test_secret_shapes_are_masked(text: str, leak: str) -> None:
    assert leak not in redact(text)


def test_short_values_are_not_registered() -> None:
    register_secret("1")
    assert redact("a1b") == "a1b"


def test_errors_and_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("log-secret-777")
    exc = AuthError("bad token log-secret-777")
    assert "log-secret-777" not in str(exc) + repr(exc)
    logger = logging.getLogger("pdsync.test-redact")
    install_log_redaction(logger)
    with caplog.at_level(logging.DEBUG, logger="pdsync.test-redact"):
        logger.debug("token is %s", "log-secret-777")
    assert "log-secret-777" not in caplog.text
