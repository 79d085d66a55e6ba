"""hotpapers: a daily digest of the arXiv papers people are talking about."""

__version__ = "0.1.0"
