"""What the Work Queue and TaskVine executors share (shipped in parsl-taskvine, used by parsl-workqueue)."""
