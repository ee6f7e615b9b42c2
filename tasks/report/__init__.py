"""Reports: agent results, run facts and timings in, Markdown out."""
