"""Make an installed FlaskBB 2.2.0 run on Python 3.12/3.13 and on PostgreSQL.

``python -m community_segments.hosts.flaskbb_patch`` edits the ``flaskbb`` package of the
interpreter that runs it. It is idempotent: a second run changes nothing and says so.

1. Seven FlaskBB modules annotate with names imported only under ``TYPE_CHECKING``
   (upstream tests only Python 3.14), so ``import flaskbb`` fails with
   ``NameError: name 'Distribution' is not defined``; ``from __future__ import
   annotations`` makes those annotations lazy.
2. ``users.password`` is ``String(120)`` but werkzeug 3's scrypt hashes are 162
   characters: PostgreSQL refuses every new password. The model becomes ``String(255)``
   for databases that ``flaskbb install`` creates from now on (existing forums also need
   the ``ALTER TABLE`` in docs/FLASKBB.md).

This module uses only the standard library and never imports FlaskBB (which would fail
before the patch); it is also run as a plain script by the test harness.
"""

from __future__ import annotations

import argparse
import ast
import importlib.machinery
import sys
from collections.abc import Callable
from pathlib import Path

FUTURE_LINE = "from __future__ import annotations\n"
FUTURE_MODULES = (
    "plugins/manager.py",
    "utils/database.py",
    "utils/helpers.py",
    "forum/models.py",
    "auth/services/authentication.py",
    "auth/services/registration.py",
    "auth/views.py",
)
PASSWORD_MODULE = "user/models.py"
PASSWORD_COLUMN = ('mapped_column("password", String(120)',
                   'mapped_column("password", String(255)')


class PatchError(Exception):
    """The installed FlaskBB is not the one this patch knows."""


def add_future_import(source: str) -> str:
    """Insert the ``__future__`` import before the module's first statement after its docstring."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":  # noqa: SIM102
            if any(alias.name == "annotations" for alias in node.names):
                return source
    has_docstring = ast.get_docstring(tree, clean=False) is not None
    body = tree.body[1:] if has_docstring else tree.body
    lines = source.splitlines(keepends=True)
    at = len(lines)
    if body:
        first = body[0]
        # A decorated first statement starts at its first decorator, not at ``def``.
        at = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))]) - 1
    return "".join(lines[:at] + [FUTURE_LINE] + lines[at:])


def widen_password_column(source: str) -> str:
    """``users.password`` as ``String(255)`` so scrypt hashes fit."""
    old, new = PASSWORD_COLUMN
    if new not in source and old not in source:
        raise PatchError(f"{PASSWORD_MODULE} no longer declares {old!r}: not FlaskBB 2.2.0?")
    return source.replace(old, new)


def patches() -> list[tuple[str, Callable[[str], str]]]:
    found: list[tuple[str, Callable[[str], str]]] = [(m, add_future_import) for m in FUTURE_MODULES]
    return [*found, (PASSWORD_MODULE, widen_password_column)]


def flaskbb_dir() -> Path:
    """The installed ``flaskbb`` package, found without importing it."""
    # Run as a script, this file's folder is first on sys.path and holds our own
    # ``flaskbb`` adapter package: leave it out.
    here = Path(__file__).resolve().parent
    path = [p for p in sys.path if Path(p or ".").resolve() != here]
    spec = importlib.machinery.PathFinder.find_spec("flaskbb", path)
    if spec is None or not spec.submodule_search_locations:
        raise PatchError(f"FlaskBB is not installed for {sys.executable}")
    return Path(next(iter(spec.submodule_search_locations)))


def patch(package: Path, *, dry_run: bool = False) -> list[Path]:
    """Patch ``package`` (FlaskBB's directory) in place; return the files that (would) change.

    Every file is checked before the first is written, so an unknown FlaskBB is left as it was.
    """
    edits = []
    for module, edit in patches():
        path = package / module
        if not path.is_file():
            raise PatchError(f"{path} is missing: not FlaskBB 2.2.0?")
        source = path.read_text(encoding="utf-8")
        patched = edit(source)
        if patched != source:
            compile(patched, str(path), "exec")
            edits.append((path, patched))
    if not dry_run:
        for path, patched in edits:
            path.write_text(patched, encoding="utf-8")
            # An edit within the second pip compiled the file could keep a stale .pyc.
            for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
                pyc.unlink()
    return [path for path, _ in edits]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m community_segments.hosts.flaskbb_patch",
        description="Patch the installed FlaskBB 2.2.0 for Python 3.12+ and PostgreSQL.")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the patch is still needed")
    args = parser.parse_args(argv)
    try:
        package = flaskbb_dir()
        changed = patch(package, dry_run=args.check)
    except (PatchError, OSError, SyntaxError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if not changed:
        print(f"FlaskBB at {package} is already patched.")
        return 0
    verb = "needs patching" if args.check else "patched"
    for path in changed:
        print(f"{verb}: {path.relative_to(package.parent)}")
    return 1 if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
