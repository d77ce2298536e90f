"""Performance checks run with `python -m benchmarks` (`make bench`): each module has a `run()`."""
