"""Parsl's older package for the HTCondor provider; its module is :mod:`parsl.providers.condor.condor`."""
