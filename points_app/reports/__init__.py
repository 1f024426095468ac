"""Committee reports: the county's figures per area and period, charts, contributions, exports.

Read-only: nothing here writes business data (exports write only their audit entry).
"""
