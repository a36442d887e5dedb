"""The only DynamoDB code: pynamodb single-table models and repositories."""
