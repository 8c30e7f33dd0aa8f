"""Parsl's usage-tracking names, so configurations and plugins written for Parsl import unchanged.

This project never sends usage data anywhere: ``Config(usage_tracking=...)``
accepts these levels and records the value, nothing more.
"""
