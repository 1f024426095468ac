"""Open311 GeoReport v2: the residents' issues for outside systems, at /open311/v2."""
