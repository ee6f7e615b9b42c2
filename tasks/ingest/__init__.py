"""Ingest: find the benchmark files under the source folders and inventory them."""
