"""Progress bars for long commands: on a terminal only, silent in logs and CI.

A bar on a pipe or in CI would fill the log with carriage returns, so it is shown
only when stderr is a terminal (shared/specs/operations.md).
"""

import sys

from tqdm import tqdm


def progress(iterable=None, *, total=None, desc: str = "", unit: str = "it"):
    """``tqdm`` on stderr, disabled unless stderr is a terminal. Use as an iterable or with ``update()``."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
        dynamic_ncols=True,
    )


def advance_to(bar, done: int, total: int | None = None) -> None:
    """Move ``bar`` to ``done`` (of ``total``): for callbacks that report running counts."""
    if total is not None and bar.total != total:
        bar.total = total
    bar.update(done - bar.n)
