"""API fuzzing: the served OpenAPI document drives schemathesis against the app on devhost.

One host per session, with its own data, seeded with real customers, products and orders
(``fuzz_world.World.seed``). ``FUZZ_LONG=1`` runs many more cases (the soak run: 100 fuzzing
examples per operation and role, or ``FUZZ_EXAMPLES``, the coverage phase for every role, longer
linked sequences); ``FUZZ_RESULTS=1`` writes bench/results/fuzz_api.{json,md}; ``FUZZ_SEED``
changes the seed (default 20261206, so ``make test`` always runs the same cases).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from devhost.testing import DevhostClient, DevhostProcess
from fuzz_world import ROOT, World, host_env


@pytest.fixture(scope="session")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("fuzz-data")
    host = DevhostProcess(ROOT, data / "devhost", env=host_env(data)).start()
    try:
        world = World(DevhostClient(host))
        world.seed()
        yield world
    finally:
        host.stop()
