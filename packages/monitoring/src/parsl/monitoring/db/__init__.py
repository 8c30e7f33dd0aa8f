"""The monitoring database: its tables (``tables``) and the code that reads and writes them."""
