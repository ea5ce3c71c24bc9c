"""dbconnect: a pure-Python Kafka Connect worker."""

__version__ = "0.1.0"
