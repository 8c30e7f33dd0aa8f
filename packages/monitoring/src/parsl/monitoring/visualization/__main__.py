"""``python -m parsl.monitoring.visualization``: the same as ``parsl-visualize``."""

import sys

from parsl.monitoring.visualization.cli import main

sys.exit(main())
