"""Case-insensitive text on every database, non-ASCII letters included.

``lower()`` folds only ASCII on SQLite, and MariaDB's default collations also ignore
accents and trailing spaces; ``fold(expr, value)`` gives the same answer everywhere:
- SQLite: ``lower()`` after ``replace()``-ing the upper-case forms of the non-ASCII
  letters that occur in the value (the only ones that can take part in a match);
- MySQL/MariaDB: ``lower(x)`` under a binary, no-pad collation;
- elsewhere (PostgreSQL): ``lower(x)``.
"""

from __future__ import annotations

from sqlalchemy import String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class fold_case(FunctionElement):
    type = String()
    inherit_cache = True
    name = "fold_case"


def fold(expr, *values: str):
    """``expr`` folded to lower case for comparison with the lower-cased ``values``."""
    letters = sorted({c for v in values for c in v.lower() if not c.isascii()})
    pairs = [(upper, c) for c in letters
             for upper in dict.fromkeys((c.upper(), c.title())) if len(upper) == 1 and upper != c]
    args = [expr]
    for upper, lower in pairs:
        args += [bindparam(None, upper, String()), bindparam(None, lower, String())]
    return fold_case(*args)


@compiles(fold_case)
def _default(element, compiler, **kw):
    expr = list(element.clauses)[0]
    return f"lower({compiler.process(expr, **kw)})"


@compiles(fold_case, "sqlite")
def _sqlite(element, compiler, **kw):
    expr, *pairs = list(element.clauses)
    sql = compiler.process(expr, **kw)
    for upper, lower in zip(pairs[::2], pairs[1::2], strict=True):
        sql = f"replace({sql}, {compiler.process(upper, **kw)}, {compiler.process(lower, **kw)})"
    return f"lower({sql})"


@compiles(fold_case, "mysql")
@compiles(fold_case, "mariadb")
def _mysql(element, compiler, **kw):
    expr = list(element.clauses)[0]
    return f"(lower({compiler.process(expr, **kw)}) COLLATE utf8mb4_nopad_bin)"




