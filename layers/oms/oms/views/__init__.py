"""JSON views: how the API shows the records the store returns (no store or pynamodb types here)."""
