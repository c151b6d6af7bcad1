"""The reference server's CSOM side: server objects (the object model) and the engine that
runs ProcessQuery requests against them."""
