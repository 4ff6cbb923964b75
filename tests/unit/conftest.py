"""Unit tests drive the Durable SDK in the JSON mode the app's settings choose (strict or not)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STRICT_TYPING = "AZURE_FUNCTIONS_DURABLE_STRICT_TYPING"
_EXAMPLE = Path(__file__).resolve().parents[2] / "local.settings.example.json"
_MODE = json.loads(_EXAMPLE.read_text(encoding="utf-8"))["Values"].get(STRICT_TYPING)


@pytest.fixture(autouse=True)
def durable_json_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    if _MODE is None:
        monkeypatch.delenv(STRICT_TYPING, raising=False)
    else:
        monkeypatch.setenv(STRICT_TYPING, _MODE)
