"""The audit log page: who looked at or changed what, when, from where."""
