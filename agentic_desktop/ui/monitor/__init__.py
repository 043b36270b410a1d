"""Queue monitor: header cards, the live job table, filters and the queue chart (issue 5)."""
