"""Run the installed ``community-segments`` console script as an outside checker would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SCRIPT = Path(sys.executable).parent / "community-segments"


def command() -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT)]
    return [sys.executable, "-c", "from community_segments.demo.cli import main; main()"]


class Cli:
    """The console script bound to one DATABASE_URL."""

    def __init__(self, database_url: str):
        self.env = dict(os.environ, DATABASE_URL=database_url,
                        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*command(), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def fails(self, *args: str) -> str:
        """The one-line reason of a failing command (no traceback, nothing else on stderr)."""
        result = self.run(*args)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        return lines[0]

    def count(self, *rules: dict, match: str = "all") -> int:
        criteria = json.dumps({"match": match, "rules": list(rules)})
        return int(self.ok("segments", "count", "--criteria", criteria))
