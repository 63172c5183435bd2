"""What the TUI remembers between runs, in the user's state directory: the theme, and
the first page of the card file as the user last saw it (shown at once on the next
start, until the live page arrives).

A small JSON file, ``$XDG_STATE_HOME/termcrm/ui.json`` on Linux. It is not the
config file: the app writes it, the user need not. A missing or unreadable file
means the defaults; it is never a reason not to start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs


def default_path() -> Path:
    return Path(platformdirs.user_state_dir("termcrm")) / "ui.json"


class UiState:
    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_path()

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.load().get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Remember one value (atomically: a crash leaves the old file or the new)."""
        data = self.load()
        data[key] = value
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            # private: it may hold the names of the user's clients (the first page)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=1))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home must not stop anybody from working
