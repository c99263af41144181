"""The sections of `make bench`, one module each, named as the section and its function (see bench/run.py)."""
