"""Many stores at once: scans of files and folders, such as the pre-deploy expiry gate, and the exporter's
loop that scans them again and again (exporter.py).

May import: `jkstool.layout` and everything below it.
"""
