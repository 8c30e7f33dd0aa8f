"""Batch-job states shared by providers and executors."""
