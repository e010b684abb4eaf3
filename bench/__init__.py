"""Benchmarks of the order platform: figures against baselines measured in the same run.

Run with `make bench` (or `python -m bench [names]`); see docs/benchmarks.md.
"""
