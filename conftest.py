"""Repository-wide pytest setup, loaded for every package's tests and the integration tests."""

import signal

# A command started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and Python then installs no KeyboardInterrupt handler, neither in this process nor
# in the scripts the tests start (an ignored signal stays ignored across exec). The tests that
# send a real Ctrl-C need the normal behaviour, so restore it; a handled signal is reset to its
# default in every child at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Every plugin's repr must show all of its __init__ arguments: in the tests a class that does not
# store one raises (users get the argument left out, never a failing repr).
try:
    from parsl.representation import RepresentationMixin
except ImportError:  # pragma: no cover - a tool's tests in an environment without parsl-kernel
    pass
else:
    RepresentationMixin._validate_repr = True
