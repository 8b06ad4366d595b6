"""Project boards, phases and templates: v2 CRUD of boards and phases, v1 and v2 reads.

Boards and phases are ordered (``order_nr`` 1..n); adding or moving one renumbers its
siblings, as the spec's "between 1 and the total number of boards + 1" implies. Deleting
a board deletes its phases. Templates are read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_arg,
    limit_arg,
    ok,
    user_id,
)
from pdsync.emulator.resources.projects_common import (
    Filter,
    after_arg,
    existing,
    page,
    path_id,
    scan,
    small_v1,
    small_v2,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

BOARD_KEYS = ("id", "name", "order_nr")
PHASE_KEYS = ("id", "name", "board_id", "order_nr")
TEMPLATE_KEYS = ("id", "title", "description", "projects_board_id", "owner_id")
_BOARD_TYPES = {"name": "str", "order_nr": "int"}
_PHASE_TYPES = {"name": "str", "board_id": "int", "order_nr": "int"}


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v2/boards", _list_boards(store, v2=True))
    router.add("GET", "/api/v1/projects/boards", _list_boards(store, v2=False))
    router.add("GET", "/api/v2/phases", _list_phases(store, v2=True))
    router.add("GET", "/api/v1/projects/phases", _list_phases(store, v2=False))
    for v2, boards, phases in ((True, "/api/v2/boards", "/api/v2/phases"),
                               (False, "/api/v1/projects/boards", "/api/v1/projects/phases")):  # fmt: skip
        router.add("GET", boards + "/{id}", _get(store, "board", "Board", BOARD_KEYS, v2))
        router.add("GET", phases + "/{id}", _get(store, "phase", "Phase", PHASE_KEYS, v2))
    router.add("POST", "/api/v2/boards", _create(store, "board"))
    router.add("PATCH", "/api/v2/boards/{id}", _update(store, "board"))
    router.add("DELETE", "/api/v2/boards/{id}", _delete(store, "board"))
    router.add("POST", "/api/v2/phases", _create(store, "phase"))
    router.add("PATCH", "/api/v2/phases/{id}", _update(store, "phase"))
    router.add("DELETE", "/api/v2/phases/{id}", _delete(store, "phase"))
    for v2, base in ((True, "/api/v2/projectTemplates"), (False, "/api/v1/projectTemplates")):
        router.add("GET", base, _list_templates(store, v2))
        router.add("GET", base + "/{id}", _get(store, "project_template", "Template", TEMPLATE_KEYS, v2))  # fmt: skip


def _render(rec: Record, keys: tuple[str, ...], v2: bool) -> Record:
    return small_v2(rec, keys) if v2 else small_v1(rec, keys)


def siblings(store: Store, entity: str, board_id: Any = None) -> list[Record]:
    """Live boards, or live phases of one board, in order."""
    if entity == "phase":
        return store.projects.phases_of_board(board_id)
    rows = [b for b in store.tables["board"].overlay.values() if not b["is_deleted"]]
    return sorted(rows, key=lambda b: (b["order_nr"], b["id"]))


def _list_boards(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        rows = siblings(store, "board")
        count_records(req, len(rows))
        return ok([_render(r, BOARD_KEYS, v2) for r in rows])

    return handle


def _list_phases(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        board_id = int_arg(req, "board_id", minimum=1)
        if board_id is None:
            raise ApiProblem(400, "Parameter 'board_id' is required: list the boards with GET /api/v2/boards")  # fmt: skip
        rows = siblings(store, "phase", board_id)
        count_records(req, len(rows))
        return ok([_render(r, PHASE_KEYS, v2) for r in rows])

    return handle


def _list_templates(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        limit = limit_arg(req, default=100 if v2 else 500)
        filters = [Filter(lambda i: True, lambda r: not r.get("is_deleted"))]
        rows, cursor = page(scan(store, "project_template", after_arg(req), filters), limit, req)
        return ok([_render(r, TEMPLATE_KEYS, v2) for r in rows], {"next_cursor": cursor})

    return handle


def _get(store: Store, entity: str, label: str, keys: tuple[str, ...], v2: bool) -> Any:
    def handle(req: Request) -> Response:
        return ok(_render(existing(store, entity, path_id(req), label), keys, v2))

    return handle


def _order(data: Record, count: int) -> int | None:
    order = data.get("order_nr")
    if order is not None and not 1 <= order <= count:
        raise ApiProblem(400, f"The 'order_nr' field must be between 1 and {count}")
    return order


def _board_of(store: Store, data: Record) -> int:
    board = store.get("board", data["board_id"])
    if board is None or board["is_deleted"]:
        raise ApiProblem(400, "The 'board_id' field must be the id of an existing board")
    return int(board["id"])


def _create(store: Store, entity: str) -> Any:
    types, required = (_PHASE_TYPES, ("name", "board_id")) if entity == "phase" else (_BOARD_TYPES, ("name",))  # fmt: skip
    keys = PHASE_KEYS if entity == "phase" else BOARD_KEYS

    def handle(req: Request) -> Response:
        data = check_body(body(req), types, required)
        with store.lock:
            board_id = _board_of(store, data) if entity == "phase" else None
            rows = siblings(store, entity, board_id)
            order = _order(data, len(rows) + 1) or len(rows) + 1
            record = {"name": data["name"], "order_nr": order, "is_deleted": False}
            if entity == "phase":
                record["board_id"] = board_id
            created = store.create(entity, record, user_id(req))
            _renumber(store, entity, rows, created, order, user_id(req))
        return ok(_render(created, keys, True))

    return handle


def _update(store: Store, entity: str) -> Any:
    types = _PHASE_TYPES if entity == "phase" else _BOARD_TYPES
    keys = PHASE_KEYS if entity == "phase" else BOARD_KEYS
    label = "Phase" if entity == "phase" else "Board"

    def handle(req: Request) -> Response:
        current = existing(store, entity, path_id(req), label)
        data = check_body(body(req), types)
        if "name" in data and not data["name"]:
            raise ApiProblem(400, "The 'name' field must not be empty")
        with store.lock:
            changes: Record = {k: v for k, v in data.items() if k in ("name",)}
            board_id = current.get("board_id")
            if entity == "phase" and data.get("board_id") is not None:
                board_id = changes["board_id"] = _board_of(store, data)
            others = [r for r in siblings(store, entity, board_id) if r["id"] != current["id"]]
            order = _order(data, len(others) + 1)
            if order is None and board_id != current.get("board_id"):
                order = len(others) + 1  # moved to another board: last phase there
            if order is not None:
                changes["order_nr"] = order
            updated = store.update(entity, current["id"], changes, user_id(req))
            if order is not None:
                _renumber(store, entity, others, updated, order, user_id(req))
        return ok(_render(store.get(entity, current["id"]) or updated, keys, True))

    return handle


def _renumber(store: Store, entity: str, others: list[Record], moved: Record, order: int, user: int) -> None:  # fmt: skip
    """Put ``moved`` at ``order`` among ``others`` and number them all 1..n."""
    rows = [r for r in others if r["id"] != moved["id"]]
    rows.insert(order - 1, moved)
    for n, row in enumerate(rows, start=1):
        if row["order_nr"] != n:
            store.update(entity, row["id"], {"order_nr": n}, user)


def _delete(store: Store, entity: str) -> Any:
    label = "Phase" if entity == "phase" else "Board"

    def handle(req: Request) -> Response:
        current = existing(store, entity, path_id(req), label)
        with store.lock:
            if entity == "board":
                for phase in store.projects.phases_of_board(current["id"]):
                    store.delete("phase", phase["id"], user_id(req))
            store.delete(entity, current["id"], user_id(req))
            rest = siblings(store, entity, current.get("board_id"))
            for n, row in enumerate(rest, start=1):
                if row["order_nr"] != n:
                    store.update(entity, row["id"], {"order_nr": n}, user_id(req))
        return ok({"id": current["id"]})

    return handle
