"""Media: storage drivers, content sniffing and image processing.

Imports nothing from `cms` or `schema`, so storage can be tested on its own.
"""
