"""Parsl's ``parsl.configs.wqex_local``: Work Queue, with one block of workers on this machine.

Needs the Work Queue package (``pip install parsl-workqueue``) and cctools'
``work_queue_worker``; without them, importing this module raises
:class:`~parsl.errors.OptionalModuleMissing` saying what to install.
As in Parsl: label ``parsl-wq-example``, port 9123, no shared filesystem.
Unlike Parsl's module it names no ``project_name``: with one, the manager
reports itself to cctools' public catalog server, which an example should
not do unasked (set ``config.executors[0].project_name`` to opt in).
"""

from parsl.config import Config
from parsl.executors import WorkQueueExecutor

config = Config(executors=[WorkQueueExecutor(label="parsl-wq-example", port=9123, shared_fs=False)])
