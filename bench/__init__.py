"""Benchmarks run by `make bench` and `make bench-quick` (see bench/run.py)."""
