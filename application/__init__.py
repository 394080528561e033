"""Use cases: the only way anything writes."""
