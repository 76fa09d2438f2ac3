"""A load benchmark of the public GraphQL API against a plain-Starlette baseline.

Run it with `python -m bench` (or `make bench BENCH_ARGS=...`); see bench/README.md.
The package is not installed with the app (pyproject only packages cms, schema and
media): it is run from a checkout, and its server subprocesses get the checkout on
`PYTHONPATH`.
"""
