"""Container health check of the web service: `python -m tools.healthcheck` (exit 0 = healthy).

GETs http://127.0.0.1:$PORT/healthz/ the way the reverse proxy would reach it: with a Host
header the app accepts (the first usable ALLOWED_HOSTS entry) and X-Forwarded-Proto: https.
Without those, production settings would answer 400 (unknown host) or redirect to https.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    """A Host header that Django's ALLOWED_HOSTS check accepts."""
    for entry in allowed_hosts.split(","):
        host = entry.strip()
        if host and host != "*":
            # ".example.org" allows example.org and its subdomains.
            return host.lstrip(".")
    return "localhost"  # settings' default list, or "*"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz/",
        headers={
            "Host": probe_host(os.environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        # Fixed http://127.0.0.1 URL: no user-controlled scheme.
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthz: no answer: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthz: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
