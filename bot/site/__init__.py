"""The Hot Papers site: the hot list, one page per published day and per paper, a feed, search.

Served by `hotpapers run` next to /healthz and written as static files by `hotpapers site build`.
Importing the package loads nothing: the delivery planner imports `bot.site.frozen` alone.
"""
