"""JSON shapes of the store's records, as the API shows them (no store logic)."""
