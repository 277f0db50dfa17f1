"""What an operator sees: metrics, the private metrics listener, logs and the access log."""
