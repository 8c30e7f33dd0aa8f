"""``python -m parsl.monitoring.visualization``: the same as ``parsl-visualize``."""

import sys

from parsl.monitoring.visualization.cli import main

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    sys.exit(main())
