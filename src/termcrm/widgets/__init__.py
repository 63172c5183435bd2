"""Reusable pieces of the TUI: they show data handed to them, never query it."""
