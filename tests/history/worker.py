"""One refresh in its own process, for the concurrency test: ``python -m tests.history.worker
URL OUT [HOLD_SECONDS]``. It writes every signal it sent to OUT (JSON). HOLD_SECONDS keeps
the refresh's transaction (and the lock) open after the scan, so two workers overlap."""

from __future__ import annotations

import json
import sys
import time

from community_segments.demo.app import create_app
from community_segments.history import refresh as refresh_module
from community_segments.history.app import refresh_app

from .conftest import recording


def main(url: str, out: str, hold: float) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    real_scan = refresh_module.scan

    def slow_scan(*args, **kwargs):
        found = real_scan(*args, **kwargs)
        time.sleep(hold)
        return found

    refresh_module.scan = slow_scan
    with app.app_context(), recording() as signals:
        report = refresh_app(app)
    sends = [[kind, sid, ids] for kind, sid, ids, _, _ in signals.sends]
    with open(out, "w") as f:
        json.dump({"sends": sends, "changes": sum(r.entered + r.left for r in report.segments)}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
