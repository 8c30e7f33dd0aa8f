"""Repository-wide pytest setup, loaded for every package's tests and the integration tests."""

import signal

# A command started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and Python then installs no KeyboardInterrupt handler, neither in this process nor
# in the scripts the tests start (an ignored signal stays ignored across exec). The tests that
# send a real Ctrl-C need the normal behaviour, so restore it; a handled signal is reset to its
# default in every child at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
