"""Revisions, oldest first by date prefix."""
