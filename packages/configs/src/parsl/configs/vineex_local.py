"""Parsl's ``parsl.configs.vineex_local``: TaskVine, its factory starting workers on this machine.

Needs the TaskVine package (``pip install parsl-taskvine``) and cctools'
``vine_worker``/``vine_factory``; without them, importing this module raises
:class:`~parsl.errors.OptionalModuleMissing` saying what to install.
As in Parsl: label ``parsl-vine-example`` and the manager's default port.
Unlike Parsl's module it names no ``project_name``: with one, the manager
reports itself to cctools' public catalog server, which an example should
not do unasked (set ``config.executors[0].manager_config.project_name`` to
opt in).
"""

from parsl.config import Config
from parsl.executors import TaskVineExecutor

config = Config(executors=[TaskVineExecutor(label="parsl-vine-example")])
