"""Use cases: orchestrate domain rules, the store and adapters for one request each."""
