"""termcrm: a keyboard-first CRM for sales teams that work in a terminal."""

__version__ = "0.1.0"
