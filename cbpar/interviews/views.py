"""Views (being written)."""
