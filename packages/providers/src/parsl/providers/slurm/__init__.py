"""Parsl's older package for the Slurm provider; its module is :mod:`parsl.providers.slurm.slurm`."""
