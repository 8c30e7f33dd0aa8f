"""Files and the staging plugin point."""
