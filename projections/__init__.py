"""Read models built from the event log (see later issues)."""
