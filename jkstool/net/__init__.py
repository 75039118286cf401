"""Mutual TLS on the wire, with pyOpenSSL: probe a live server, serve a test endpoint.

`tls` builds contexts from stores and reads what a peer sent; `probe` is an
s_client that speaks Java stores; `endpoint` is the server partners try
their client set-up against, and `visit` what it saw of each (plain data).

May import: `jkstool.mtls` and everything below it.
"""
