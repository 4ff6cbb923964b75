"""Helpers for the tests that install devhost into fresh virtual environments."""

from __future__ import annotations

import os
from pathlib import Path

DEVHOST = Path(__file__).resolve().parent.parent  # the folder with pyproject.toml


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a shell outside this repository: no venv, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} and not k.startswith("PYTEST")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}
