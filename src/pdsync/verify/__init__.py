"""``pdsync verify``: audit a replica against the live account, stream by stream.

Usable from Python::

    from pdsync.verify import VerifyOptions, verify_replica
    report = verify_replica(client, destination, ["deals", "notes"])
    print(report.verdict())

See ``docs/verify.md`` for what is compared and what it costs.
"""

from pdsync.verify.engine import Verifier, VerifyOptions, verify_replica
from pdsync.verify.plan import StreamEstimate, VerifyPlan
from pdsync.verify.report import StreamResult, VerifyReport, format_report

__all__ = [
    "StreamEstimate",
    "StreamResult",
    "Verifier",
    "VerifyOptions",
    "VerifyPlan",
    "VerifyReport",
    "format_report",
    "verify_replica",
]
