"""Read models projected from the event log: SQL tables kept exactly once, rebuildable."""
