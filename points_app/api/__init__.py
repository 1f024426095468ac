"""The JSON API under /api/v1: bearer tokens, JSON errors, idempotent POSTs, OpenAPI.

The blueprint and the how-to for adding routes are in `points_app.api.views`.
"""
