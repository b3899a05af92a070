"""Benchmarks for `make bench` (`python -m bench`).

They print figures beside a baseline measured in the same run and never assert timings: a shared
2-core machine is too noisy to fail a build on, but a ratio to the same server's trivial endpoint
says whether the application code, not the machine, got slower.
"""
