"""``--with-files``: keep the contents of the account's files beside their metadata.

Each file's bytes are stored as one more content-addressed object, so a file kept by
an earlier snapshot (same id, same size, same update time) is not downloaded again.
Downloads are binary answers, which the JSON client does not parse: they go through
the client's own HTTP connection and authentication, one request per new file.
"""

from __future__ import annotations

from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.backup.state import Rows
from pdsync.backup.store import Store
from pdsync.errors import ApiError, TransportError


def _download(client: PipedriveClient, file_id: Any) -> bytes:
    url = f"{client.root_url.rstrip('/')}/api/v1/files/{file_id}/download"
    try:
        response = client._http.get(url, headers=client.auth.headers(), follow_redirects=True)
    except Exception as exc:  # httpx errors: no secret in them (the token is a header)
        raise TransportError(f"Downloading file {file_id} failed ({type(exc).__name__}).") from None
    if response.status_code != 200:
        raise ApiError(
            f"Downloading file {file_id} answered HTTP {response.status_code}.",
            hint="Check the token's access to files, or snapshot without --with-files.",
        )
    return response.content


def store_files(
    client: PipedriveClient, store: Store, files: Rows, previous: dict[str, str]
) -> dict[str, str]:
    """file id → object name of its contents (reusing the previous snapshot's objects)."""
    out: dict[str, str] = {}
    for key, row in files.items():
        if row.get("remote_location") not in (None, "", "s3"):
            continue  # linked from Google Drive and the like: no bytes held by Pipedrive
        tag = f"{key}:{row.get('file_size')}:{row.get('update_time')}"
        if tag in previous:
            out[tag] = previous[tag]
            continue
        out[tag] = store.put(_download(client, key))
    return out
