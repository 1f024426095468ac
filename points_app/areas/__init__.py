"""Areas: the county > street > community > grid > microgrid tree."""
