"""Parsl's older package for the Grid Engine provider; its module is :mod:`parsl.providers.grid_engine.grid_engine`."""
