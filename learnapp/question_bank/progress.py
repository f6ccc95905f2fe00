"""How far a running import has got, for the confirm page's progress bar.

The import runs in one transaction (all or nothing), so its progress cannot be a database row
others could read; it is a small JSON file in the data folder, named by the stash token of the
file being imported and readable only by the user who uploaded it.
"""

import json
import os
from pathlib import Path

from flask import current_app


def _path(token: str) -> Path | None:
    if not token or len(token) > 40 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = Path(current_app.config["DATA_DIR"]) / "import-progress"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{token}.json"


def write(token: str, owner_id: int, **state) -> None:
    path = _path(token)
    if path is None:
        return
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"owner_id": owner_id, **state}, ensure_ascii=False))
    # Replaced in one step so a reader never sees half a file.
    os.replace(temporary, path)


def read(token: str, owner_id: int) -> dict | None:
    path = _path(token)
    if path is None or not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
    except ValueError:
        return None
    if state.pop("owner_id", None) != owner_id:
        return None
    return state
