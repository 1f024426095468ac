"""The points ledger: accounts, append-only transfers, balances, verification."""
