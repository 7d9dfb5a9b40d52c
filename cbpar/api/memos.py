"""Memo endpoints of the JSON API (being written)."""
