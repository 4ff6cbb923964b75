"""Start and stop the npm emulators that the Azure adapters, and the app on them, run against.

Both come from ``tools/`` (pinned in ``tools/package.json`` and its lockfile): Azurite for Table
storage (in memory, table service only, no telemetry) and ``@vercel/cosmosdb-server`` through
``tools/cosmos-server.js`` (keep-alive connections). Each listens on a free loopback port; we
poll until it answers, with a deadline, and stop it by its own process id.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
NODE_MODULES = TOOLS / "node_modules"
AZURITE_TABLE = NODE_MODULES / "azurite" / "dist" / "src" / "table" / "main.js"
COSMOS_LAUNCHER = TOOLS / "cosmos-server.js"
COSMOS_SERVER = NODE_MODULES / "@vercel" / "cosmosdb-server"
PATCH_MARK = "durable-orders patch"  # the comment tools/patches/ leaves in the handler
# The emulators' published development credentials (not secrets).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")
COSMOS_KEY = ("C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy"
              "67XIw/Jw==")
_READY = re.compile(r"ready on (https://\S+)")
TTL = 60.0


class FakeClock:
    """The cache adapters' clock in tests: time moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _patched() -> bool:
    """Whether ``tools/patches/`` was applied (``npm ci`` runs it; ``--ignore-scripts`` or an
    install from before the patch does not, and the tests would then fail on emulator 500s)."""
    handler = COSMOS_SERVER / "lib" / "handler" / "read-document.js"
    return handler.exists() and PATCH_MARK in handler.read_text()


def require_tools() -> None:
    """Fail in CI, skip on a laptop, when ``npm ci --prefix tools`` has not run."""
    if AZURITE_TABLE.exists() and _patched():
        return
    message = ("the npm emulators are not installed, or not patched: run "
               "`npm ci --prefix tools` (make test does it)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; CI must run the tests on the emulators", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Emulator:
    name: str
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    def pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines[-50:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _spawn(name: str, args: list[str]) -> Emulator:
    process = subprocess.Popen(["node", *args], cwd=TOOLS, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    emulator = Emulator(name, process)
    threading.Thread(target=emulator.pump, daemon=True).start()
    return emulator


def _wait_port(emulator: Emulator, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    emulator.stop()
    raise RuntimeError(f"{emulator.name} did not start listening:\n{emulator.output()}")


def start_azurite(timeout: float = 30.0) -> tuple[Emulator, str]:
    """Azurite's table service; returns the emulator and a connection string for it."""
    port = free_port()
    emulator = _spawn("azurite", [str(AZURITE_TABLE), "--tableHost", "127.0.0.1",
                                  "--tablePort", str(port), "--inMemoryPersistence",
                                  "--disableTelemetry", "--skipApiVersionCheck",
                                  "--disableProductStyleUrl", "--silent"])
    _wait_port(emulator, port, time.monotonic() + timeout)
    emulator.url = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    connection = (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
                  f"AccountKey={AZURITE_KEY};TableEndpoint={emulator.url};")
    return emulator, connection


def start_cosmos(timeout: float = 30.0) -> Emulator:
    """cosmosdb-server on a free port (it reports the port it took)."""
    emulator = _spawn("cosmosdb-server", [str(COSMOS_LAUNCHER), "0", "127.0.0.1"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and emulator.process.poll() is None:
        match = _READY.search("".join(emulator.lines))
        if match:
            emulator.url = match.group(1)
            _wait_port(emulator, int(emulator.url.rsplit(":", 1)[1]), deadline)
            return emulator
        time.sleep(0.02)
    emulator.stop()
    raise RuntimeError(f"cosmosdb-server did not become ready:\n{emulator.output()}")
