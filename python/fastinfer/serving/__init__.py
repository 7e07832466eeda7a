"""Serving: what sits between requests and a model run. batch.py packs variable-length
requests into batches and splits the results back."""
