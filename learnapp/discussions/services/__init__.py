"""Use cases of the discussion package, one module per area."""
