"""Great Expectations suites, one JSON file per table (files.json, metrics.json)."""
