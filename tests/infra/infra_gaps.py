"""Known mismatches between infra/ and the code, each with the reason and who closes it.

A check that finds exactly a gap listed here reports it as xfail with the reason; a listed gap
that no longer occurs fails ("delete the entry"), like a stale checkov baseline entry, so this
list never hides a fixed problem or a new one.
"""

from __future__ import annotations

import pytest

KNOWN_GAPS: dict[str, str] = {
}


def settle(found: set[str], prefix: str) -> None:
    """Fail on unknown problems, xfail on known ones, fail on known ones that went away."""
    known = {k for k in KNOWN_GAPS if k.startswith(prefix)}
    new = sorted(found - known)
    closed = sorted(known - found)
    assert not new, "\n".join(new)
    assert not closed, (
        "these known gaps are closed now; delete them from tests/infra/infra_gaps.py: "
        + ", ".join(closed))
    if found:
        pytest.xfail("; ".join(f"{k}: {KNOWN_GAPS[k]}" for k in sorted(found)))
