"""Pictures of trust: a pair's verify-pair report as a graph, drawn as SVG, Mermaid or DOT, and a fleet's
reports as one self-contained HTML page.

`graph` turns a `Report` into nodes (the CAs, the certificate each keystore presents, the truststores, the
CRLs) and edges ("issued", "trusts", "presents", "checks CRL"), and puts each of the report's findings on
the node or edge it concerns: the report drives the picture, and nothing is judged again here. `svg` lays
the graph out in fixed lanes (CAs | keystores | truststores; the server's chain above, the client's below),
with no layout engine; `text` writes it for Mermaid and Graphviz; `html` is the fleet report.

May import: `jkstool.fleet`, `jkstool.mtls` and everything below them.
"""
