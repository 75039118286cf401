"""A pair's report as a graph: what each side presents, who issued it, what the other side trusts.

Nodes are the CAs (roots and intermediates, wherever the pair holds them), the two keystores (each as the
key entry its key manager presents, its leaf certificate), the two truststores, the CRLs checked and the
verdict. Edges: a CA "issued" a certificate (or a CRL), a keystore "presents" its chain to the other side's
truststore, a truststore "trusts" an anchor, the server "checks CRL". The report decides everything: each
finding goes to the node and the edge it concerns (the certificate `Report.about` names, else the store it
names), an edge or node is broken (red) only when it carries an error finding, expiring (amber) when it
carries one that says the certificate or CRL ends within the report's warn_days, and the first break's
date goes on the edge of what ends then. A finding that concerns none of them goes to the verdict node, so
every finding of the report is somewhere in the picture.
"""

from pathlib import PurePath

from ..mtls.checks import Report, StoreInput
from ..mtls.findings import ERROR, Finding
from ..pki import certs
from ..shown import printable
from .model import (
    BROKEN,
    EXPIRING,
    EXPIRING_CODES,
    IDLE,
    LISTED_ANCHORS,
    OK,
    OTHER_ANCHORS,
    PEER,
    SIDES,
    VERDICT_CODES,
    Edge,
    Node,
    Picture,
    common_name,
    day,
)


class Graph(Picture):
    """A pair's picture (see the module), drawn in each format."""

    def svg(self) -> str:
        """The picture as one self-contained SVG document (fixed lanes, no script, no external resource)."""
        from .svg import render
        return render(self)

    def mermaid(self) -> str:
        """The graph as a Mermaid flowchart (GitHub and GitLab render it in Markdown)."""
        from .text import mermaid
        return mermaid(self)

    def dot(self) -> str:
        """The graph in Graphviz's DOT language (`dot -Tsvg`)."""
        from .text import dot
        return dot(self)


class _Builder:
    def __init__(self, report: Report, name: str):
        self.report = report
        self.graph = Graph(report.ok, report.decided_by, report.rules, list(report.findings), {}, [],
                           report.first_break, report.first_break_asked, name)
        self.by_cert: dict[bytes, str] = {}
        self.facts: dict[bytes, certs.CertFacts] = {}
        self.edges: dict[str, Edge] = {}
        self.leaves: dict[str, bytes] = {}
        """side -> the leaf it presents."""
        self.sequences: dict[str, list[bytes]] = {}
        """side -> its path, leaf first (to the anchor), else its chain as sent."""
        self.anchor_of: dict[str, bytes] = {}
        """side -> the anchor its path ends at, in the truststore that checks it."""
        self.roles_by_path: dict[str, list[str]] = {}
        for role, store in report.stores.items():
            self.roles_by_path.setdefault(store.path, []).append(role)

    def fact(self, data: bytes) -> certs.CertFacts:
        if data not in self.facts:
            self.facts[data] = certs.facts(data)
        return self.facts[data]

    def add_node(self, node: Node) -> Node:
        return self.graph.nodes.setdefault(node.id, node)

    def add_edge(self, edge: Edge) -> Edge:
        found = self.edges.get(edge.id)
        if found is None:
            self.edges[edge.id] = edge
            self.graph.edges.append(edge)
            return edge
        found.on_path = found.on_path or edge.on_path
        return found

    def build(self) -> Graph:
        report = self.report
        self.add_node(Node("verdict", "verdict", "OK" if report.ok else "FAIL",
                           [("OK: the pair completes a mutual-TLS handshake" if report.ok else
                             "FAIL: the pair does not complete a mutual-TLS handshake"),
                            f"decided by {report.decided_by}"]))
        for side in SIDES:
            self.keystore(side)
        for side in SIDES:
            self.chain(side)
        for side in SIDES:
            self.truststore(side)
        self.crls()
        for index, found in enumerate(report.findings):
            self.place(index, found)
        self.first_break()
        self.depths()
        elements: list[Node | Edge] = [*self.graph.nodes.values(), *self.graph.edges]
        for element in elements:
            element.status = self.status(element)
        return self.graph

    # -- the stores --------------------------------------------------------------------------------

    def keystore(self, side: str) -> None:
        store = self.report.stores.get(f"{side}-keystore")
        if store is None:
            return
        alias = self.report.presented.get(side)
        entry = next((e for e in store.loaded.store.key_entries() if e.alias == alias), None) if alias else None
        leaf = entry.chain[0] if entry is not None and entry.chain else None
        lines = [f"{side} keystore", _file(store), f"presents '{printable(alias)}'" if alias else "presents nothing"]
        node = Node(f"{side}-keystore", "keystore", f"{side} keystore", lines, side, store=printable(store.path),
                    alias=printable(alias) if alias else None, rows={side})
        if leaf is not None:
            facts = self.fact(leaf)
            node.subject, node.not_before, node.not_after = printable(facts.subject), facts.not_before, facts.not_after
            node.label = printable(common_name(facts.subject))
            lines += [node.label, f"valid {day(facts.not_before)} to {day(facts.not_after)}"]
            self.by_cert.setdefault(leaf, node.id)
            self.leaves[side] = leaf
        others = [e.alias for e in store.loaded.store.key_entries() if e.alias != alias]
        if others:
            lines.append("also holds " + ", ".join(f"'{printable(a)}'" for a in others[:3])
                         + (f" and {len(others) - 3} more" if len(others) > 3 else ""))
        self.add_node(node)
        peer_truststore = self.report.stores.get(f"{PEER[side]}-truststore")
        if peer_truststore is not None:
            edge = self.add_edge(Edge("presents", node.id, f"{PEER[side]}-truststore", side,
                                      f"presents '{printable(alias)}'" if alias else "presents nothing"))
            edge.on_path = leaf is not None

    def chain(self, side: str) -> None:
        """The CAs above what `side` presents, as its path goes (leaf first, to the anchor), else as sent."""
        leaf = self.leaves.get(side)
        if leaf is None:
            return
        store = self.report.stores[f"{side}-keystore"]
        entry = next(e for e in store.loaded.store.key_entries() if e.alias == self.report.presented[side])
        path = self.report.paths.get(side)
        sequence = list(path.certificates) if path is not None and path.certificates else list(entry.chain)
        if not sequence or sequence[0] != leaf:
            sequence = [leaf, *sequence]
        self.sequences[side] = sequence
        for data in sequence[1:]:
            self.ca(data, side)
        for lower, upper in zip(sequence, sequence[1:], strict=False):
            self.issued(upper, lower, side)
        sent = list(entry.chain)  # the chain as sent, where it goes beyond the path (an extra, or out of order)
        for data in sent[1:]:
            self.ca(data, side)
        for lower, upper in zip(sent, sent[1:], strict=False):
            if self.fact(lower).issuer == self.fact(upper).subject and lower != upper:
                self.issued(upper, lower, side)

    def ca(self, data: bytes, row: str | None, on_path: bool = True) -> Node:
        existing = self.by_cert.get(data)
        if existing is not None:
            node = self.graph.nodes[existing]
            node.on_path = node.on_path or on_path
            if row:
                node.rows.add(row)
            return node
        facts = self.fact(data)
        root = bool(facts.subject) and facts.subject == facts.issuer
        label = printable(common_name(facts.subject))
        node = Node(f"ca-{facts.sha256[:16]}", "ca", label,
                    ["root CA" if root else "intermediate CA", label,
                     f"valid {day(facts.not_before)} to {day(facts.not_after)}"],
                    subject=printable(facts.subject), not_before=facts.not_before, not_after=facts.not_after,
                    on_path=on_path, rows={row} if row else set())
        self.by_cert[data] = node.id
        return self.add_node(node)

    def issued(self, issuer: bytes, subject: bytes, side: str, on_path: bool = True) -> None:
        if issuer == subject:
            return
        self.add_edge(Edge("issued", self.by_cert[issuer], self.by_cert[subject], side, "issued",
                           on_path=on_path))

    def truststore(self, side: str) -> None:
        """A truststore, and what it trusts: the anchor of the path it checks (or where that path broke), and
        a few of its other anchors."""
        store = self.report.stores.get(f"{side}-truststore")
        if store is None:
            return
        checks = PEER[side]  # the side whose chain this truststore judges, in whose row it is drawn
        anchors = store.anchors
        lines = [f"{side} truststore", _file(store), f"trusts {len(anchors)} certificate{'s' * (len(anchors) != 1)}"]
        lines += [f"'{printable(a.alias)}' {printable(common_name(self.fact(a.cert).subject))}"
                  for a in anchors[:LISTED_ANCHORS]]
        if len(anchors) > LISTED_ANCHORS:
            lines.append(f"and {len(anchors) - LISTED_ANCHORS} more")
        node = self.add_node(Node(f"{side}-truststore", "truststore", f"{side} truststore", lines, side,
                                  store=printable(store.path), rows={checks}))
        path = self.report.paths.get(checks)
        drawn: set[bytes] = set()
        anchor = path.anchor if path is not None else None
        untrusted = any(f.code == f"{checks}-untrusted" for f in self.report.findings)
        top = self.sequences.get(checks, [None])[-1] if path is not None and anchor is None and not untrusted \
            else None
        if top is not None:  # a path that failed once built (an expired CA, say) still ends at its anchor
            issuer = self.fact(top).issuer
            anchor = next((a for a in anchors if a.cert != top and self.fact(a.cert).subject == issuer), None)
            if anchor is not None:
                self.ca(anchor.cert, checks)
                self.issued(anchor.cert, top, checks)
                self.sequences[checks].append(anchor.cert)
        if path is not None and anchor is not None:
            self.anchor_of[checks] = anchor.cert
            target = self.by_cert.get(anchor.cert) or self.ca(anchor.cert, checks).id
            self.add_edge(Edge("trusts", node.id, target, checks, f"trusts '{printable(anchor.alias)}'"))
            drawn.add(anchor.cert)
        elif path is not None and not path.ok:
            broken = path.broken_at or (path.certificates[0] if path.certificates else self.leaves.get(checks))
            if broken is not None:
                target = self.by_cert.get(broken) or self.ca(broken, checks).id
                self.add_edge(Edge("trusts", node.id, target, checks, "trusts nothing on this chain"))
        others = [a for a in anchors if a.cert not in drawn]
        for anchor in others[:OTHER_ANCHORS]:
            target = self.by_cert.get(anchor.cert) or self.ca(anchor.cert, checks, on_path=False).id
            self.add_edge(Edge("trusts", node.id, target, checks, f"trusts '{printable(anchor.alias)}'",
                               on_path=False))

    def crls(self) -> None:
        from ..pki import crl as crls
        for n, (path, data) in enumerate(self.report.crls):
            loaded = crls.load(data)
            issuer = loaded.issuer.rfc4514_string()
            revoked = sum(1 for _ in loaded)
            node = self.add_node(Node(
                f"crl-{n}", "crl", f"CRL of {printable(common_name(issuer))}",
                ["CRL", f"of {printable(common_name(issuer))}", _file_name(path),
                 f"next update {day(loaded.next_update_utc)}", f"revokes {revoked}"],
                subject=printable(issuer), store=printable(path), not_after=loaded.next_update_utc,
                rows={"client"}))
            ca = next((node_id for data, node_id in self.by_cert.items()
                       if self.graph.nodes[node_id].kind == "ca" and self.fact(data).subject == issuer), None)
            if ca is not None:
                self.add_edge(Edge("issued", ca, node.id, None, "issued"))
            # checked by the truststore that judges a chain with a certificate it speaks for (else the server's,
            # which checks clients)
            sides = [side for side in SIDES if any(self.fact(c).issuer == issuer and c != self.anchor_of.get(side)
                                                   for c in self.sequences.get(side, ()))] or ["client"]
            for side in sides:
                if f"{PEER[side]}-truststore" in self.graph.nodes:
                    self.add_edge(Edge("checks-crl", f"{PEER[side]}-truststore", node.id, side, "checks CRL"))

    # -- the findings --------------------------------------------------------------------------------

    def attach(self, index: int, *elements: Node | Edge | None) -> bool:
        placed = False
        for element in elements:
            if element is not None and index not in element.findings:
                element.findings.append(index)
                placed = True
        return placed

    def edge(self, kind: str, source: str, target: str) -> Edge | None:
        return self.edges.get(f"{kind}:{source}->{target}")

    def place(self, index: int, found: Finding) -> None:
        """Put a finding on what it concerns: the verdict's on the verdict; a broken trust on the truststore's
        edge; a certificate's on its node and on the edge that uses it on its side's path; a store's or a
        CRL's on that node; anything else on the verdict."""
        nodes = self.graph.nodes
        if found.code in VERDICT_CODES:
            self.attach(index, nodes["verdict"])
            return
        if found.code in ("server-untrusted", "client-untrusted"):
            truststore = f"{PEER[found.code.partition('-')[0]]}-truststore"
            edges = [e for e in self.graph.edges if e.kind == "trusts" and e.source == truststore and e.on_path]
            if self.attach(index, *edges):
                return
        if found.code == "client-cert-not-sent" and self.attach(
                index, self.edge("presents", "client-keystore", "server-truststore")):
            return
        cert = self.report.certificate_of(found)
        if cert is not None and cert in self.by_cert:
            side = self.side_of(cert, found)
            placed = self.attach(index, nodes[self.by_cert[cert]], self.using(cert, side))
            if found.code == "cert-revoked":
                self.revoked(index, cert, side)
            if placed:
                return
        held = self.held_by(found.store)
        if held:
            self.attach(index, *held)
            for node in held:  # a store's error breaks what it draws on the path: what it presents, its trust
                if node.kind == "keystore" and (found.severity == ERROR or node.side not in self.leaves):
                    self.attach(index, self.edge("presents", node.id, f"{PEER[node.side or '']}-truststore"))
                if node.kind == "truststore" and found.severity == ERROR:
                    self.attach(index, *(e for e in self.graph.edges
                                         if e.kind == "trusts" and e.source == node.id and e.on_path))
                if node.kind == "crl" and (found.severity == ERROR or found.code in EXPIRING_CODES):
                    self.attach(index, *(e for e in self.graph.edges if e.target == node.id and e.kind == "checks-crl"))
            return
        self.attach(index, nodes["verdict"])

    def side_of(self, cert: bytes, found: Finding) -> str | None:
        """The side on whose path `cert` is, as `found` names it (its store: that side's keystore, or the
        truststore that checks it); else the first side that has it."""
        having = [side for side in SIDES if cert in self.sequences.get(side, ())]
        for role in self.roles_by_path.get(found.store, ()):
            owner, _, kind = role.partition("-")
            named = owner if kind == "keystore" else PEER[owner]
            if named in having:
                return named
        return having[0] if having else None

    def using(self, cert: bytes, side: str | None) -> Edge | None:
        """The edge that depends on `cert` on `side`'s path: its presents edge for the leaf, the trusts edge
        for the anchor, else the issued edge from it to the certificate below it."""
        if side is None:
            return None
        sequence = self.sequences[side]
        position = sequence.index(cert)
        if position == 0:
            return self.edge("presents", f"{side}-keystore", f"{PEER[side]}-truststore")
        if self.anchor_of.get(side) == cert:
            return self.edge("trusts", f"{PEER[side]}-truststore", self.by_cert[cert])
        return self.edge("issued", self.by_cert[cert], self.by_cert[sequence[position - 1]])

    def revoked(self, index: int, cert: bytes, side: str | None) -> None:
        """A revoked certificate's CRL: the checks-crl edge of the truststore that checks it, to the CRL of its
        issuer."""
        issuer = self.fact(cert).issuer
        truststore = f"{PEER[side]}-truststore" if side else "server-truststore"
        for node in list(self.graph.nodes.values()):
            if node.kind == "crl" and node.subject == printable(issuer) and truststore in self.graph.nodes:
                self.attach(index, self.add_edge(Edge("checks-crl", truststore, node.id, side, "checks CRL")))

    def held_by(self, store: str) -> list[Node]:
        roles = self.roles_by_path.get(store, [])
        found = [self.graph.nodes[r] for r in roles if r in self.graph.nodes]
        found += [n for n in self.graph.nodes.values() if n.kind == "crl" and n.store == printable(store)]
        return found

    def first_break(self) -> None:
        """The first break's date on the node of what ends then, and on the edge that depends on it (as a
        finding about it would be placed)."""
        found = self.report.first_break
        if found is None:
            return
        for ending in found.endings:
            for side, sequence in self.sequences.items():
                for data in sequence:
                    facts = self.fact(data)
                    if facts.not_after == ending.at and (facts.subject or "a certificate") == ending.what:
                        self.graph.nodes[self.by_cert[data]].first_break = found.at
                        edge = self.using(data, side)
                        if edge is not None:
                            edge.first_break = found.at
            for node in self.graph.nodes.values():
                if node.kind == "crl" and node.store == printable(ending.where) and node.not_after == ending.at:
                    node.first_break = found.at
                    for edge in self.graph.edges:
                        if edge.target == node.id and edge.kind == "checks-crl":
                            edge.first_break = found.at

    def depths(self) -> None:
        """Each CA's distance below a root, along the issued edges drawn."""
        parents: dict[str, list[str]] = {}
        for edge in self.graph.edges:
            if edge.kind == "issued" and self.graph.nodes[edge.target].kind == "ca":
                parents.setdefault(edge.target, []).append(edge.source)

        def depth(node: str, seen: frozenset[str]) -> int:
            above = [p for p in parents.get(node, []) if p not in seen]
            return 1 + max(depth(p, seen | {node}) for p in above) if above else 0
        for node in self.graph.nodes.values():
            if node.kind == "ca":
                node.depth = depth(node.id, frozenset())

    def status(self, element: Node | Edge) -> str:
        found = [self.graph.findings[i] for i in element.findings]
        if any(f.severity == ERROR for f in found):
            return BROKEN
        if any(f.code in EXPIRING_CODES for f in found):
            return EXPIRING
        return OK if element.on_path else IDLE


def _file(store: StoreInput) -> str:
    return _file_name(store.path)


def _file_name(path: str) -> str:
    return printable(PurePath(path).name or path)


def graph(report: Report, name: str = "") -> Graph:
    """The picture of a verify-pair report (`name`: the pair, for its title)."""
    return _Builder(report, printable(name)).build()


__all__ = ["Graph", "Node", "Edge", "graph", "printable", "OK", "BROKEN", "EXPIRING", "IDLE"]
