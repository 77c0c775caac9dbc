"""Benchmarks of airbyte-embedded-tools against raw httpx, run with ``python -m bench``."""
