"""The HTTP Basic credentials Pipedrive sends with every delivery.

Generated once per replica, kept in the journal file (mode 0600) so a restart keeps
the webhooks valid, registered with :mod:`pdsync.redact` so no log, error or report
can show the password, and checked in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass

from pdsync.live.journal import Journal
from pdsync.redact import register_secret

USER_KEY = "auth_user"
PASSWORD_KEY = "auth_password"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:  # never shows the password, even in a traceback
        return f"Credentials(user={self.user!r}, password='***')"

    def accepts(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries these credentials (constant time)."""
        expected = f"{self.user}:{self.password}".encode()
        given = b""
        if authorization and authorization[:6].lower() == "basic ":
            try:
                given = base64.b64decode(authorization[6:].strip(), validate=True)
            except (binascii.Error, ValueError):
                given = b""
        return hmac.compare_digest(given, expected)


USER_ENV = "PDSYNC_LISTEN_USER"
PASSWORD_ENV = "PDSYNC_LISTEN_PASSWORD"


def load_or_create(journal: Journal, given: Credentials | None = None) -> Credentials:
    """The replica's credentials: ``given`` (webhooks you manage), else stored, else new."""
    if given is not None:
        register_secret(given.password)
        return given
    user, password = journal.get(USER_KEY), journal.get(PASSWORD_KEY)
    if not user or not password:
        user, password = f"pdsync-{secrets.token_hex(4)}", secrets.token_urlsafe(32)
        journal.put({USER_KEY: user, PASSWORD_KEY: password})
    register_secret(password)
    return Credentials(user, password)
