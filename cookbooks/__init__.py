"""The cookbooks' tooling: ``python -m cookbooks.regenerate`` stores the notebooks executed."""
