"""The periodic refresh on FlaskBB's own Celery app: beat + worker on a real Redis broker."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
import uuid

import pytest

REDIS = ("127.0.0.1", 6379)
CELERY_APP = """
from flaskbb import create_app
from flaskbb.extensions import celery
app = create_app({config!r})
"""


def _redis_or_skip() -> None:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI") == "true":  # .ci/run starts one
            pytest.fail(f"Redis at {REDIS[0]}:{REDIS[1]} is required in CI: {exc}")
        pytest.skip(f"no Redis at {REDIS[0]}:{REDIS[1]} for the Celery broker: {exc}")


def history_points(site) -> dict[str, int]:
    out = site.python("import sqlalchemy as sa\n"
                      "rows = db.session.execute(sa.text('SELECT s.title, count(p.id) FROM cs_segment s "
                      "LEFT JOIN cs_history_point p ON p.segment_id = s.id GROUP BY s.title')).all()\n"
                      "import json; print(json.dumps(dict(rows)))")
    return json.loads(out.strip().splitlines()[-1])


def test_the_refresh_is_on_celery_beats_schedule_and_runs_as_a_task(segments_site):
    site = segments_site
    code, _, err = site.cli("segments", "seed-defaults")
    assert code == 0, err
    out = site.python(
        "from flaskbb.extensions import celery\n"
        "from community_segments.hosts.flaskbb.schedule import refresh_segments\n"
        "entry = celery.conf.beat_schedule['community-segments-refresh']\n"
        "print(entry['task'], entry['schedule'])\n"
        "print(refresh_segments.delay().get()['segments'])")  # the test config runs tasks eagerly
    schedule, refreshed = out.strip().splitlines()[-2:]
    assert schedule == "community_segments.refresh 900.0"
    assert int(refreshed) >= 6  # the FlaskBB defaults, refreshed
    code, history, err = site.cli("segments", "history", "Newcomers", "--json")
    assert code == 0 and json.loads(history)[-1]["count"] >= 0, err


def test_beat_and_a_worker_on_redis_refresh_every_interval(segments_site, tmp_path):
    _redis_or_skip()
    site = segments_site
    site.cli("segments", "seed-defaults")
    before = history_points(site)
    (tmp_path / "celery_app.py").write_text(CELERY_APP.format(config=str(site.config_path)))
    broker = f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(1, 15)}"
    queue = f"cs-history-{uuid.uuid4().hex[:8]}"  # ours alone, whoever else uses this Redis
    env = site._env({
        "FLASKBB_CELERY_CONFIG": repr({"broker_url": broker, "result_backend": broker,
                                       "task_always_eager": False, "task_default_queue": queue}),
        "FLASKBB_SEGMENTS_REFRESH_INTERVAL": "2", "PYTHONPATH": str(tmp_path)})
    worker = subprocess.Popen(
        [site.venv / "bin" / "celery", "-A", "celery_app.celery", "worker", "--beat",
         "--concurrency", "1", "--pool", "solo", "-Q", queue, "-s", tmp_path / "beat-schedule",
         "--loglevel", "info"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline, after = time.monotonic() + 90, before
        while time.monotonic() < deadline and worker.poll() is None:
            time.sleep(3)
            after = history_points(site)
            if all(after[title] >= before.get(title, 0) + 2 for title in after):
                break
    finally:
        worker.terminate()
        try:
            log = worker.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            worker.kill()
            log = worker.communicate()[0]
    assert all(after[t] >= before.get(t, 0) + 2 for t in after), log[-3000:]
    assert "community_segments.refresh" in log and "succeeded" in log
