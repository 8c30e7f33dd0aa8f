"""Apps: Python functions and bash command lines that run as tasks."""
