"""``python -m security rotate``: a new version of every field key, then every view document
and cached answer holding older ciphertext rewritten under it (``security.rotation``).

Reads the same app settings as the function app (``local.settings.json`` ``Values`` fill in
variables not already set), so it rotates the provider and rewrites the stores the app uses:
local key files or Key Vault, SQLite or Cosmos DB and Table storage. A run killed at any point
finishes when started again (``--state`` holds its checkpoint); running it again after it
finished starts a new rotation. ``--reencrypt-only`` rewrites without making new versions (run
it after writes that were sealed just before a rotation reached the views).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from app_settings import load_local_settings
from readmodels.query_cache import QueryCache
from readmodels.views import ORDER_DETAILS, ViewStore
from security.rotation import ResealCount, Resealer


def _reencrypt(views: ViewStore, cache: QueryCache, view: str, resealer: Resealer,
               out: TextIO) -> ResealCount:
    from observability.progress import Progress
    from readmodels.cache_scopes import customer_scope, order_scope
    from readmodels.reencrypt import reencrypt_view

    scope = order_scope if view == ORDER_DETAILS else customer_scope
    key = "orderId" if view == ORDER_DETAILS else "customerId"
    bars: list[Progress] = []

    def shown(done: int, of: int) -> None:
        if not bars:  # the document count is known once the scan has been read
            bars.append(Progress(f"re-encrypting {view}", of, out))
        bars[0].update(done)

    def forget_cached(doc: dict[str, Any]) -> None:
        # A rewritten document's cached answers go at once: a kill cannot leave them behind.
        cache.invalidate([scope(str(doc[key]))])

    count = reencrypt_view(views, view, resealer, progress=shown, on_rewrite=forget_cached)
    for bar in bars:
        bar.close()
    return count


def rotate(state: Path | None, *, reencrypt_only: bool, out: TextIO) -> int:
    from app_settings import get_settings
    from observability.progress import Progress
    from readmodels.factory import build_query_cache, build_view_store
    from readmodels.reencrypt import SEALED_VIEWS
    from security.providers import build_key_provider
    from security.rotation import CheckpointFile, rotate_keys, start_or_resume

    settings = get_settings()
    provider = build_key_provider(settings)
    views, cache = build_view_store(settings), build_query_cache(settings)
    checkpoints = CheckpointFile(state or settings.orders_data_dir / "key-rotation.json")
    with checkpoints.locked():
        checkpoint, resumed = start_or_resume(checkpoints)
        if resumed:
            print(f"resuming rotation {checkpoint.run_id} (started {checkpoint.started_at})",
                  file=out)
        if not checkpoint.keys_done and reencrypt_only:
            checkpoint.keys_done = True
        if not checkpoint.keys_done:
            bar = Progress("rotating keys", len(provider.key_names()), out)
            rotate_keys(provider, checkpoint, checkpoints.save, lambda done, _: bar.update(done))
            bar.close()
        total = ResealCount()
        for view in SEALED_VIEWS:
            if view in checkpoint.stores_done:
                continue
            total.add(_reencrypt(views, cache, view, Resealer(provider), out))
            checkpoint.stores_done.append(view)
            checkpoints.save(checkpoint)
        checkpoints.finish()
    print(f"rotated {len(checkpoint.rotated)} keys; re-encrypted {total.fields} fields in "
          f"{total.rewritten_documents} of {total.documents} documents; "
          f"{total.unreadable} fields left as they are (erased keys)", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m security")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate_cmd = commands.add_parser("rotate", help="rotate every field key and re-encrypt")
    rotate_cmd.add_argument("--state", type=Path, default=None,
                            help="the checkpoint file (default: ORDERS_DATA_DIR/"
                                 "key-rotation.json)")
    rotate_cmd.add_argument("--reencrypt-only", action="store_true",
                            help="rewrite old ciphertext without making new key versions")
    args = parser.parse_args(argv)
    load_local_settings()

    from app_settings import SettingsError
    from security.rotation import RotationInProgress

    try:
        return rotate(args.state, reencrypt_only=args.reencrypt_only, out=sys.stderr)
    except (SettingsError, RotationInProgress) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
