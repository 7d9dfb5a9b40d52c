"""Meeting endpoints of the JSON API (being written)."""
