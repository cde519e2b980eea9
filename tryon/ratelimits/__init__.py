"""Rate-limit counters every web process shares (see counters.py)."""
