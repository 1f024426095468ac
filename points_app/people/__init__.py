"""Volunteers, organisations, households in need and their pairings."""
