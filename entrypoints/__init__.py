"""The driving entry points: the ``airbnb`` command, the ASGI application factory and, with the bookings work,
the RQ job functions.

They sit above the composition root: each reads its settings and asks ``bootstrap`` for the wired use cases,
and nothing below imports them (the import-linter layers contract in ``pyproject.toml`` says so).
"""
