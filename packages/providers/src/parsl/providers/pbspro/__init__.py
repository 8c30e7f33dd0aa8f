"""Parsl's older package for the PBS Pro provider; its module is :mod:`parsl.providers.pbspro.pbspro`."""
