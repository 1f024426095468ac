"""Benchmarks: gunicorn on 127.0.0.1 and a threaded load generator (see BENCHMARKS.md)."""
