"""The TUI's screens, one module each; they reach the database only through app.call."""
