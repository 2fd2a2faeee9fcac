"""Benchmarks: each measures its own baseline in the same run and prints the ratio."""
