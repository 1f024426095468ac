"""Shared building blocks: database base, errors, permissions, audit."""
