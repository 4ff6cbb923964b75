"""Top of py-spy profiles recorded by ``run_devhost.py --profile DIR`` (``--format raw``:
collapsed stacks, one ``frame;frame;... count`` a line): per process, the share of samples by
function (self and inclusive) and by package, so the devhost owner sees where the time goes.

    python bench/peers/spy_top.py DIR [--top 25]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::\d+)?\)$")
# Leaf frames that are a thread waiting, not working: py-spy counts a pool thread blocked in
# its queue's C ``get`` as active (its leaf Python frame is ``_worker``), so drop those.
_IDLE = re.compile(r"^(_worker \(concurrent/futures/thread\.py|wait \(threading\.py|"
                   r"select \(selectors\.py|_wait_for_tstate_lock \(threading\.py)")


def frame_key(frame: str) -> tuple[str, str]:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip(), ""
    return m["func"], m["file"]


def package(path: str) -> str:
    for marker, name in (("devhost/", "devhost"), ("azure/durable_functions", "durable SDK"),
                         ("azure/functions", "azure-functions"), ("opentelemetry", "opentelemetry"),
                         ("aiohttp", "aiohttp"), ("json/", "json"), ("sqlite3", "sqlite3"),
                         ("asyncio", "asyncio"), ("logging", "logging"),
                         ("dateutil", "dateutil"), ("prometheus", "prometheus"),
                         ("threading", "threading"), ("concurrent", "concurrent")):
        if marker in path:
            return name
    return Path(path).name or "?"


def short(func: str, path: str) -> str:
    tail = path.split("site-packages/")[-1].split("/src/")[-1]
    return f"{func} ({tail})"


def summarise(raw: Path, top: int) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if _IDLE.match(stack.split(";")[-1].strip()):
            idle += count
            continue
        total += count
        frames = [frame_key(f) for f in stack.split(";") if f.strip()]
        # skip py-spy's thread/process labels ("process 123:..." / "thread (0x..)")
        frames = [f for f in frames if f[1]]
        if not frames:
            continue
        func, path = frames[-1]
        self_time[short(func, path)] += count
        packages[package(path)] += count
        for name in {short(f, p) for f, p in frames}:
            inclusive[name] += count
    if not total:
        return f"## {raw.stem}: no samples\n"
    pct = lambda n: f"{100 * n / total:5.1f}%"  # noqa: E731
    out = [f"## {raw.stem}: {total} samples working ({idle} of idle pool threads left out)",
           "", "By package (self time):"]
    out += [f"  {pct(n)}  {name}" for name, n in packages.most_common(12)]
    out += ["", "Self time:"]
    out += [f"  {pct(n)}  {name}" for name, n in self_time.most_common(top)]
    out += ["", "Inclusive time:"]
    out += [f"  {pct(n)}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for raw in sorted(args.folder.glob("*.txt")):
        if raw.stem.startswith("top"):
            continue
        print(summarise(raw, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
