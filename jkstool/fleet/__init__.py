"""Many stores at once: scans of files and folders, such as the pre-deploy expiry gate.

May import: `jkstool.layout` and everything below it.
"""
