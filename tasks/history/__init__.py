"""The run history: every run's measurements and findings, series over time, and what changed.

store (the hive-partitioned Parquet dataset runs append to), fingerprint (a run's measurements as
series rows), series (points in time order, change points, news), detection (one series'
stability and change points: Apache Otava's E-divisive and a lookback t-test), view (which run's
news a run tells), findings (regression, improvement, new and removed configuration), events
(`chimera.regression.detected`), lifecycle (what the flow's two history stages do).
"""
