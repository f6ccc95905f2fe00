"""How far a running workbook export has got, for the dashboard's progress line.

A workbook is built completely before its first byte can be sent, so the download itself says
nothing about progress. The export writes the number of member rows done to a small JSON file in
the data folder (readable by every web worker), named by a random token the page sends with the
request and readable only by the user who asked for the export; the file is removed when the
download ends.
"""

import json
import os
import re
from pathlib import Path

from flask import current_app

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _path(token: str) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    folder = Path(current_app.config["DATA_DIR"]) / "export-progress"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{token}.json"


class Progress:
    """Writes `rows` done and the `stage` ("rows", then "saving") for one export."""

    def __init__(self, token: str, owner_id: int):
        self.path = _path(token)
        self.owner_id = owner_id

    def write(self, rows: int, stage: str = "rows") -> None:
        if self.path is None:
            return
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"owner_id": self.owner_id, "rows": rows, "stage": stage}))
        # Replaced in one step so a reader never sees half a file.
        os.replace(temporary, self.path)

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


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
