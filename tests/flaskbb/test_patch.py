"""``python -m community_segments.hosts.flaskbb_patch``: what it changes and how it fails.

Patching a real, fresh FlaskBB 2.2.0 is covered by the harness venv and by the
docs test (step 1 of docs/FLASKBB.md); these cover the edges without FlaskBB.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from community_segments.hosts import flaskbb_patch as fp


def fake_flaskbb(root, password_line='mapped_column("password", String(120), nullable=False)'):
    package = root / "flaskbb"
    for module in fp.FUTURE_MODULES:
        path = package / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('"""Doc."""\n\nimport typing\n\n\n@decorator\ndef f(x: Later): ...\n')
    (package / fp.PASSWORD_MODULE).parent.mkdir(parents=True, exist_ok=True)
    (package / fp.PASSWORD_MODULE).write_text(f"password = {password_line}\n")
    return package


def test_patches_every_module_once(tmp_path):
    package = fake_flaskbb(tmp_path)
    assert len(fp.patch(package, dry_run=True)) == 8
    assert len(fp.patch(package)) == 8
    assert fp.patch(package) == []
    manager = (package / "plugins/manager.py").read_text()
    assert manager.startswith('"""Doc."""\n\nfrom __future__ import annotations\nimport typing\n')
    assert "String(255)" in (package / fp.PASSWORD_MODULE).read_text()


def test_decorated_first_statement_gets_the_import_above_its_decorator():
    assert fp.add_future_import("@d\ndef f(): ...\n") == f"{fp.FUTURE_LINE}@d\ndef f(): ...\n"


def test_unknown_flaskbb_is_refused_and_nothing_is_written(tmp_path):
    package = fake_flaskbb(tmp_path, password_line="mapped_column(String(80))")
    before = (package / "plugins/manager.py").read_text()
    with pytest.raises(fp.PatchError, match="no longer declares"):
        fp.patch(package)
    assert (package / "plugins/manager.py").read_text() == before
    (package / "auth/views.py").unlink()
    with pytest.raises(fp.PatchError, match="auth/views.py is missing"):
        fp.patch(package, dry_run=True)


def test_without_flaskbb_the_command_says_so_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "community_segments.hosts.flaskbb_patch"],
                          capture_output=True, text=True)
    if proc.returncode == 0:
        pytest.skip("FlaskBB is installed in the test interpreter")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"Error: FlaskBB is not installed for {sys.executable}"]
