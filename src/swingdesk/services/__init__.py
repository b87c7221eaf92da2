"""Services: the use cases (decide, control, explain), each wiring ports to the domain."""
