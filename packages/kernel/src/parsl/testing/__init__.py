"""Helpers for testing Parsl and its plugins."""
