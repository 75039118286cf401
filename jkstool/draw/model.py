"""The picture's model: nodes, edges and the graph that holds them, each with the report's findings on it
(by their index in the report), and the text helpers every format shares.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..mtls.checks import Break, iso
from ..mtls.findings import Finding

OK, BROKEN, EXPIRING, IDLE = "ok", "broken", "expiring", "idle"
"""The states of a node or edge: on a path and fine; carrying an error finding (red); carrying a finding
that it ends soon (amber); on no path of the pair (a truststore's other anchors: grey)."""
EXPIRING_CODES = frozenset({"cert-expiring", "crl-expiring", "crl-stale"})
VERDICT_CODES = frozenset({"java-refused", "java-accepted", "handshake-ok", "handshake-failed"})
KINDS = ("issued", "trusts", "presents", "checks-crl")
SIDES = ("server", "client")
PEER = {"server": "client", "client": "server"}
OTHER_ANCHORS = 3
"""A truststore's anchors on no path drawn as CAs (the rest are counted): enough to show what it trusts
instead, few enough that a truststore of 140 public CAs stays a picture."""
LISTED_ANCHORS = 4


@dataclass
class Node:
    id: str
    kind: str
    """verdict, ca, keystore, truststore or crl."""
    label: str
    """Its name in one line: a CA's CN, "server keystore"."""
    lines: list[str]
    """What the picture writes in it, first the kind, then the label and the details."""
    side: str | None = None
    subject: str | None = None
    store: str | None = None
    alias: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    on_path: bool = True
    findings: list[int] = field(default_factory=list)
    """The report's findings on it, by index in `Graph.findings`."""
    first_break: datetime | None = None
    status: str = OK
    rows: set[str] = field(default_factory=set)
    """The sides whose chain it is on (or whose checking truststore holds it): where the picture puts it."""
    depth: int = 0
    """For a CA: how far below a root (0: a root), as far as the pair shows it."""


@dataclass
class Edge:
    kind: str
    """issued, trusts, presents or checks-crl."""
    source: str
    target: str
    side: str | None = None
    """Whose chain it is part of: the side presenting it."""
    label: str = ""
    on_path: bool = True
    findings: list[int] = field(default_factory=list)
    first_break: datetime | None = None
    status: str = OK

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.source}->{self.target}"


@dataclass
class Picture:
    """A pair's picture: its nodes and edges, each with the report's findings that concern it."""

    ok: bool
    decided_by: str
    rules: str
    findings: list[Finding]
    nodes: dict[str, Node]
    edges: list[Edge]
    first_break: Break | None = None
    """The report's Break, when one was looked for and found."""
    first_break_asked: bool = False
    name: str = ""
    """The pair, as the picture's title names it."""

    def codes(self, element: Node | Edge) -> list[str]:
        """The finding codes on a node or edge, once each."""
        return list(dict.fromkeys(self.findings[i].code for i in element.findings))

    def to_dict(self) -> dict[str, object]:
        """As `graph --format json` prints it: the verdict, the report's findings, and nodes and edges that
        refer to them by index."""
        found = self.first_break
        return {"pair": self.name, "ok": self.ok, "decided_by": self.decided_by, "rules": self.rules,
                "first_break": found.to_dict() if found is not None else None,
                "findings": [f.to_dict() for f in self.findings],
                "nodes": [_node_dict(n, self) for n in self.nodes.values()],
                "edges": [_edge_dict(e, self) for e in self.edges]}


def _refs(indexes: list[int], graph: Picture) -> list[dict[str, object]]:
    return [{"index": i, "code": graph.findings[i].code, "severity": graph.findings[i].severity} for i in indexes]


def _node_dict(node: Node, graph: Picture) -> dict[str, object]:
    return {"id": node.id, "kind": node.kind, "label": node.label, "side": node.side, "subject": node.subject,
            "store": node.store, "alias": node.alias,
            "not_before": iso(node.not_before) if node.not_before else None,
            "not_after": iso(node.not_after) if node.not_after else None, "status": node.status,
            "on_path": node.on_path, "first_break": iso(node.first_break) if node.first_break else None,
            "findings": _refs(node.findings, graph)}


def _edge_dict(edge: Edge, graph: Picture) -> dict[str, object]:
    return {"id": edge.id, "kind": edge.kind, "from": edge.source, "to": edge.target, "side": edge.side,
            "label": edge.label, "status": edge.status, "on_path": edge.on_path,
            "first_break": iso(edge.first_break) if edge.first_break else None, "findings": _refs(edge.findings, graph)}


# -- text from certificates and files -----------------------------------------------------------------

def common_name(subject: str) -> str:
    """The CN of an RFC 4514 name (its first), else the whole name; "(no subject)" for an empty one."""
    found = re.search(r"(?:^|,)CN=((?:\\.|[^,\\])*)", subject)
    name = re.sub(r"\\(.)", r"\1", found.group(1)) if found else subject
    return name or "(no subject)"


def day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "?"

