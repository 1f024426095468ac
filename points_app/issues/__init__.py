"""居民说事: talk sessions, residents' issues, their workflow, evaluation and review."""
