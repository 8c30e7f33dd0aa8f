"""Parsl's module and script name for the Work Queue coprocess: the same program as ``parsl-wq-coprocess``.

Workers started by hand the way Parsl documents them,
``work_queue_worker --coprocess parsl_coprocess.py HOST PORT``, find this
package's coprocess under Parsl's script name (a console script of this
package); ``python -m parsl.executors.workqueue.parsl_coprocess`` runs it too.
"""

from __future__ import annotations

import sys

from parsl.executors.workqueue.coprocess import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
