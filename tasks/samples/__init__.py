"""Samples: the project's own synthetic benchmark corpus, for tests and benchmarks.

write_sample_corpus(dest) writes a seeded pile of CSV, JSON and Markdown files shaped like a local
LLM benchmark folder (warts included) and returns their paths.
"""

from tasks.samples.corpus import write_sample_corpus

__all__ = ["write_sample_corpus"]
