"""OMS: the order-management package shared by every Lambda function (the oms layer)."""
