"""Pipedrive's official operations as data: find one by method and path, validate a request
against it before it is sent, and call it with pdsync's client (``pdsync api``)."""

from pdsync.operations.catalog import Operation, OperationCatalog, Param, UnknownOperationError
from pdsync.operations.invoke import ApiCall, call, paginate
from pdsync.operations.validate import InvalidRequestError, validate_request

__all__ = [
    "ApiCall",
    "InvalidRequestError",
    "Operation",
    "OperationCatalog",
    "Param",
    "UnknownOperationError",
    "call",
    "paginate",
    "validate_request",
]
