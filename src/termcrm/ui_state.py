"""What the TUI remembers between runs (the theme), in the user's state directory.

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
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home must not stop anybody from working
