"""Alembic migrations of the domain database."""
