"""Pictures of trust: a pair's report as a graph (SVG, Mermaid, DOT, JSON), a fleet's reports as one HTML page.

The report drives the picture: each of its findings is on the node or edge it concerns, and nothing is judged
again (jkstool.draw).
"""

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the drawing modules import cryptography: each function imports what it needs
    from ..draw.graph import Graph as Graph
    from ..fleet.pairs import Fleet
    from ..mtls.checks import Report

__all__ = ["graph", "fleet_report_html"]


def graph(report: "Report", name: str = "") -> "Graph":
    """The picture of a pair's `Report` (verify_pair's; `name` titles it): a `Graph` of nodes (the CAs, the
    certificate each keystore presents, the truststores, the CRLs, the verdict) and edges ("issued",
    "trusts", "presents", "checks-crl"), each carrying the report's findings that concern it. `svg()` draws
    it in fixed lanes, `mermaid()` and `dot()` write it for Mermaid and Graphviz, `to_dict()` is what
    `jkstool graph --json` prints. A node or edge is "broken" (red) exactly when it carries an error
    finding, "expiring" (amber) when it carries a finding that it ends within the report's `warn_days`.
    """
    from ..draw.graph import graph as draw
    return draw(report, name)


def fleet_report_html(fleet: "Fleet", *, title: str | None = None, now: datetime | None = None) -> str:
    """`verify_fleet`'s result as one self-contained HTML page: a table of the pairs (status, first break,
    soonest expiry) that sorts and filters, and each pair's findings and picture; no network, no external
    script or font. `title` defaults to the root's name, `now` (when it was checked) to the present."""
    from ..draw.html import fleet_report
    return fleet_report(fleet, title, now)
