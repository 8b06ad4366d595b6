"""The responses a rate-limited client sees: JSON 429s and Cloudflare's HTML 403."""

from __future__ import annotations

import hashlib

from pdsync.emulator.http import Response, error_response
from pdsync.emulator.ratelimit import Admission

_CLOUDFLARE_PAGE = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
        <h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> pipedrive.com</h2>
      </div>
      <div class="cf-section cf-wrapper">
        <h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
        <p data-translate="blocked_why_detail">This website is using a security service to protect
        itself from online attacks. The action you just performed triggered the security solution.</p>
        <p>Error code: 1020 &middot; Access denied</p>
      </div>
      <div class="cf-error-footer cf-wrapper">
        <p>Cloudflare Ray ID: <strong class="font-semibold">{ray}</strong></p>
      </div>
    </div>
  </div>
</body>
</html>
"""


def ray_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def cloudflare_block(key: str) -> Response:
    ray = ray_id(key)
    body = _CLOUDFLARE_PAGE.replace("{ray}", ray).encode("utf-8")
    return Response(
        403,
        body,
        [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Server", "cloudflare"),
            ("CF-RAY", f"{ray}-AMS"),
            ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
        ],
    )


def too_many_requests(admission: Admission) -> Response:
    if admission.verdict == "daily":
        message = "Daily API token budget exhausted; requests resume after the daily reset"
    else:
        message = "Request over limit; slow down and retry after the Retry-After seconds"
    response = error_response(429, message, errorCode=429)
    response.headers.extend(admission.headers)
    return response
