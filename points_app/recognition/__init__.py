"""Recognition: public notice (公示) of earned points, service certificates, resolution
bonuses."""
