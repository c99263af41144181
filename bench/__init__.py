"""The studio's benchmarks (`make bench`): bench/run.py runs them, bench/sections/ holds one module a section."""
