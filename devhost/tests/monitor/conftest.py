"""A devhost process serving the sample app, and a headless Debian chromium driven by Playwright.

The browser is Debian's `chromium` (tools/install-browser.sh installs it); Playwright never
downloads one. Without /usr/bin/chromium the tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import DevhostClient, DevhostProcess

SAMPLE = Path(__file__).resolve().parent.parent / "apps" / "sample"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the monitor's browser tests "
                    "(playwright from the test extra, a system chromium)")
    pytest.skip(f"{reason}; install the test extra and a chromium at /usr/bin/chromium")


# Per module: Playwright's sync API keeps an event loop running in the main thread while it is
# open, and the suite's other modules (which run after these) call asyncio.run().
@pytest.fixture(scope="module")
def playwright_api() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    b = playwright_api.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevhostProcess]:
    # Two quick attempts so that a failing Event Grid consumer dead-letters within the test.
    proc = DevhostProcess(SAMPLE, tmp_path_factory.mktemp("monitor-data"),
                          args=["--eventgrid-attempts", "2", "--eventgrid-retry-delay", "0.05"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def client(host: DevhostProcess) -> DevhostClient:
    return DevhostClient(host)


@pytest.fixture(scope="session")
def monitor_url(client: DevhostClient) -> str:
    return f"{client.mgmt}/monitor?code={client.system_key}"


class PageErrors(list[str]):
    """Uncaught errors and failed requests of the page: a test ends with none."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors = PageErrors()
    pg.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.errors = errors
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def uid(request: pytest.FixtureRequest) -> str:
    """A fresh id prefix per test so that tests never see each other's instances."""
    return f"{request.node.name[5:25]}-{uuid.uuid4().hex[:6]}".replace("_", "-")
