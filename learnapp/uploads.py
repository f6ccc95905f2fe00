"""Uploaded files kept between a preview and its confirmation.

Files are stored under the data folder by a random token, never by their name; the original
name is display metadata only. A stashed file belongs to the user who uploaded it.
"""

import json
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from learnapp.jobs import Summary

STASH_TTL = timedelta(days=1)


def _folder() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "stash"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash(data: bytes, *, owner_id: int, kind: str, meta: dict) -> str:
    token = secrets.token_urlsafe(18)
    folder = _folder()
    (folder / f"{token}.bin").write_bytes(data)
    info = {"owner_id": owner_id, "kind": kind, **meta}
    (folder / f"{token}.json").write_text(json.dumps(info, ensure_ascii=False))
    return token


def load(token: str, *, owner_id: int, kind: str) -> tuple[bytes, dict] | None:
    """The stashed bytes and metadata, or None when missing or not the caller's."""
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("owner_id") != owner_id or meta.get("kind") != kind:
        return None
    return data_path.read_bytes(), meta


def discard(token: str) -> None:
    folder = _folder()
    for suffix in (".bin", ".json"):
        path = folder / f"{token}{suffix}"
        if path.exists():
            path.unlink()


def purge_stale(_session, now: datetime) -> Summary:
    """Scheduled job: remove stashed files older than a day."""
    cutoff = (now - STASH_TTL).timestamp()
    removed = 0
    for path in _folder().iterdir():
        if path.stat().st_mtime < cutoff:
            os.unlink(path)
            removed += 1
    return Summary("purged", {"files": removed})
