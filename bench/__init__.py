"""Benchmarks and the bulk data generator; timings are recorded in RESULTS.md, not asserted."""
