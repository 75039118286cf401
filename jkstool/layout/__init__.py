"""The four-store layout through its life: made, renewed, extended, rolled over, configured.

`manifest` reads and writes layout.json and knows which file plays which
role; `create` makes a new layout (init-pair); `lifecycle` renews, adds
clients and rolls CAs over, checking every change with verify-pair's rules
before it is written; `snippets` prints configuration for servers and
clients.

May import: `jkstool.mtls` and everything below it.
"""
