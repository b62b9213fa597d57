"""Versioned SQL migrations for the SQLite backend: `NNNN_name.sql`, applied in order."""
