"""Side-by-side timings of the engine against references, as ratios measured in one run.

Run `python -m benchmarks.run` (or `python benchmarks/run.py`); it prints a table and writes
benchmarks/RESULTS.md."""
