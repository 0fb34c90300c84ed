"""cnca-watch: monitor CNCA and SAMR announcements against the six 2024 task areas."""

__version__ = "0.1.0"
