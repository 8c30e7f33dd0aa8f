"""Parsl's ``parsl.configs.local_threads``: apps run in threads of this process."""

from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

config = Config(executors=[ThreadPoolExecutor()])
