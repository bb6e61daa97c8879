"""Models of this app (filled by its issue)."""
