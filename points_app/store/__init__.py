"""The love supermarket (爱心超市): stores, products, stock, household cards, redemptions."""
