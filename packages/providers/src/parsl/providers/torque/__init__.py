"""Parsl's older package for the Torque provider; its module is :mod:`parsl.providers.torque.torque`."""
