"""Parsl's older package for the LSF provider; its module is :mod:`parsl.providers.lsf.lsf`."""
