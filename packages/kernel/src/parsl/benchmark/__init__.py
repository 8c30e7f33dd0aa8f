"""Benchmarks of the DataFlowKernel with a user's configuration (``parsl-perf``)."""
