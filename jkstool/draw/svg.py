"""A pair's graph as SVG, laid out in fixed lanes: no layout engine, the same picture every time.

Three lanes, left to right: the CAs, the keystores (the certificate each side presents), the truststores.
The server's chain is the upper row (the server keystore presents to the client truststore), the client's
the lower; a CA both chains share sits between them, with the CRLs. Chains go left to right ("issued",
"presents"), and each truststore's "trusts" loops back around the outside to the CA it trusts: a closed
loop is a path that holds. Every colour is an attribute (no stylesheet: the picture is inlined in HTML
reports), every text is escaped, and no text is smaller than 11 px at 100 %.
"""

from dataclasses import dataclass

from ..shown import printable
from .model import BROKEN, EXPIRING, EXPIRING_CODES, IDLE, Edge, Node, Picture, common_name, day

WIDTH = 1180
BOX = 256
LANES = {"ca": 44, "keystore": 446, "truststore": 898}
TOP = 118
"""Where the trust loops around the top begin, below the lanes' names."""
LINE = 16
GAP = 14
CHANNEL = 18
"""The distance between two trust loops around the outside."""
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"

RED, AMBER, SLATE, GREY, GREEN = "#c62828", "#b45309", "#37474f", "#8d99a0", "#2e7d32"
STROKE = {BROKEN: RED, EXPIRING: AMBER, IDLE: GREY}
FILL = {BROKEN: "#fdecea", EXPIRING: "#fff4e0", IDLE: "#f4f5f6"}
WIDTHS = {"presents": 2.6, "issued": 1.8, "trusts": 1.8, "checks-crl": 1.8}
DASHES = {"trusts": "7 4", "checks-crl": "2 4"}


def escape(text: str) -> str:
    """Text for an SVG element or a double-quoted attribute (already `printable`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#39;")


def fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text` cut with … to what `width` pixels hold at `size` (DejaVu Sans' widths, roughly)."""
    room = int(width / (size * (0.64 if bold else 0.6)))
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def element(tag: str, attributes: dict[str, object], content: str | None = None) -> str:
    """An element, its attributes and its (escaped) content each on lines of their own where one line would
    pass 100 columns (the picture is printed to a terminal too)."""
    parts = [f'{name.replace("_", "-")}="{value}"' for name, value in attributes.items() if value is not None]
    head = f"<{tag} " + " ".join(parts)
    if len(head) > 96:
        head = f"<{tag}\n" + "\n".join(" " + part for part in parts)
    if content is None:
        return head + "/>"
    body = content if len(head) + len(content) < 90 and "\n" not in head else "\n" + _wrapped(content)
    return f"{head}>{body}</{tag}>"


def _wrapped(text: str) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, 90, break_long_words=False, break_on_hyphens=False)) or text


def _text(x: float, y: float, text: str, size: float = 12, fill: str = SLATE, weight: str = "normal",
          anchor: str = "start", halo: bool = False) -> str:
    attributes: dict[str, object] = {"x": f"{x:.0f}", "y": f"{y:.0f}", "font_size": size, "fill": fill,
                                     "font_weight": "bold" if weight == "bold" else None,
                                     "text_anchor": anchor if anchor != "start" else None}
    if halo:
        attributes.update(paint_order="stroke", stroke="#ffffff", stroke_width=4, stroke_linejoin="round")
    return element("text", attributes, escape(text))


def _status_colour(status: str) -> str:
    return STROKE.get(status, SLATE)


class _Layout:
    def __init__(self, graph: Picture):
        self.graph = graph
        self.boxes: dict[str, Box] = {}
        self.out: list[str] = []
        self.rows_bottom = 0.0

    # -- sizes and places ------------------------------------------------------------------------------

    def lines_of(self, node: Node) -> list[str]:
        return [*(node.lines[2:] if node.kind != "verdict" else []), *self.codes_lines(node)]

    def codes_lines(self, node: Node) -> list[str]:
        codes = self.graph.codes(node)
        return [", ".join(codes[i:i + 2]) for i in range(0, len(codes), 2)]

    def code_colour(self, element: Node | Edge, code: str) -> str:
        """A code's colour: red for an error, amber for an end ahead, else the text's."""
        found = [self.graph.findings[i] for i in element.findings if self.graph.findings[i].code == code]
        if any(f.severity == "error" for f in found):
            return RED
        return AMBER if code in EXPIRING_CODES else SLATE

    def height(self, node: Node) -> float:
        return 8 + 14 + 18 + LINE * len(self.lines_of(node)) + 4

    def place(self) -> float:
        """Each node's box; returns the picture's height."""
        nodes = self.graph.nodes
        top_loops = len(self.loops("top"))
        bottom_loops = len(self.loops("bottom"))
        y = float(TOP + CHANNEL * top_loops + 10)
        cas = [n for n in nodes.values() if n.kind == "ca"]
        order = sorted(cas, key=lambda n: (n.depth, not n.on_path, n.label, n.id))
        bands: list[dict[str, list[Node | None]]] = [
            {"ca": [n for n in order if n.rows == {"server"}], "keystore": [nodes.get("server-keystore")],
             "truststore": [nodes.get("client-truststore")]},
            {"ca": [n for n in order if n.rows not in ({"server"}, {"client"})],
             "keystore": [*(n for n in nodes.values() if n.kind == "crl")], "truststore": []},
            {"ca": [n for n in order if n.rows == {"client"}], "keystore": [nodes.get("client-keystore")],
             "truststore": [nodes.get("server-truststore")]},
        ]
        for number, band in enumerate(bands):
            stacks = {lane: [n for n in items if n is not None] for lane, items in band.items()}
            heights = {lane: sum(self.height(n) for n in stack) + GAP * max(len(stack) - 1, 0)
                       for lane, stack in stacks.items()}
            tall = float(max(heights.values()))
            if number == 1:
                tall = max(tall, 36)
            for lane, stack in stacks.items():
                at = y + (tall - heights[lane]) / 2
                for node in stack:
                    self.boxes[node.id] = Box(LANES[lane], at, BOX, self.height(node))
                    at += self.height(node) + GAP
            y += tall + (GAP * 2 if number != 1 or tall > 36 else GAP)
        self.rows_bottom = y
        return y + CHANNEL * bottom_loops + 12 + 78

    def loops(self, where: str) -> list[Edge]:
        """The trusts edges drawn around the top (the client truststore's, in the server's row) or the
        bottom: the path's first, each sorted so that loops do not cross."""
        truststore = "client-truststore" if where == "top" else "server-truststore"
        found = [e for e in self.graph.edges if e.kind == "trusts" and e.source == truststore]
        if not self.boxes:
            return found
        key = (lambda e: self.boxes[e.target].cy) if where == "top" else (lambda e: -self.boxes[e.target].cy)
        return sorted(found, key=key)

    # -- drawing -------------------------------------------------------------------------------------

    def render(self) -> str:
        height = self.place()
        graph = self.graph
        verdict = "OK" if graph.ok else "FAIL"
        title = f"jkstool graph{': ' + graph.name if graph.name else ''}: {verdict}"
        out = self.out
        out.append(element("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {WIDTH} {height:.0f}",
                                   "width": WIDTH, "height": f"{height:.0f}", "role": "img",
                                   "font_family": FONT, "data_verdict": verdict.lower()})[:-2] + ">")
        out.append(element("title", {}, escape(title)))
        out.append(element("rect", {"x": 0, "y": 0, "width": WIDTH, "height": f"{height:.0f}", "fill": "#ffffff"}))
        self.banner()
        headers = [("ca", "CAs"), ("keystore", "keystores: what each side presents"),
                   ("truststore", "truststores: what each side trusts")]
        for lane, text in headers:
            out.append(_text(LANES[lane], 92, text.upper(), 11, GREY, "bold"))
        out.append('<g class="edges">')
        for where in ("top", "bottom"):
            for number, edge in enumerate(self.loops(where)):
                self.loop(edge, where, number)
        for edge in graph.edges:
            if edge.kind != "trusts":
                self.edge(edge)
        out.append("</g>")
        out.append('<g class="nodes">')
        for node in graph.nodes.values():
            if node.id in self.boxes:
                self.node(node)
        out.append("</g>")
        self.legend(height)
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def group(self, kind: str, element_id: str, status: str, codes: list[str]) -> None:
        self.out.append(element("g", {"class": kind, "data_id": escape(element_id), "data_status": status,
                                      "data_codes": escape(" ".join(codes))})[:-2] + ">")

    def banner(self) -> None:
        graph = self.graph
        node = graph.nodes["verdict"]
        errors = [f for f in graph.findings if f.severity == "error"]
        codes = list(dict.fromkeys(f.code for f in errors))
        colour, fill = (GREEN, "#edf7ee") if graph.ok else (RED, "#fdecea")
        self.group("verdict", "verdict", node.status, codes)
        self.out.append(element("rect", {"x": 16, "y": 12, "width": WIDTH - 32, "height": 56, "rx": 6, "fill": fill,
                                         "stroke": colour, "stroke_width": 1.5}))
        self.out.append(_text(30, 34, fit(node.lines[0], WIDTH - 300, 14, True), 14, colour, "bold"))
        said = f"{len(errors)} error{'s' * (len(errors) != 1)}" + (f": {', '.join(codes)}" if codes else "")
        self.out.append(_text(30, 56, fit(f"{said}; {node.lines[1]}", WIDTH - 60, 12), 12, SLATE))
        if graph.name:
            self.out.append(_text(WIDTH - 30, 34, fit(graph.name, 250, 13, True), 13, SLATE, "bold", "end"))
        self.out.append("</g>")

    def node(self, node: Node) -> None:
        box = self.boxes[node.id]
        colour = _status_colour(node.status)
        fill = FILL.get(node.status, "#ffffff")
        detail = f"{node.subject or node.label}" + (f" ({node.store})" if node.store else "")
        self.group(f"node {node.kind}", node.id, node.status, self.graph.codes(node))
        self.out.append(element("title", {}, escape(detail)))
        self.out.append(element("rect", {"x": f"{box.x:.0f}", "y": f"{box.y:.0f}", "width": f"{box.w:.0f}",
                                         "height": f"{box.h:.0f}", "rx": 6, "fill": fill, "stroke": colour,
                                         "stroke_width": 2.2 if node.status == BROKEN else 1.4}))
        x, y = box.x + 10, box.y + 8 + 11
        self.out.append(_text(x, y, fit(node.lines[0].upper(), box.w - 20, 11, True), 11, GREY, "bold"))
        y += 18
        self.out.append(_text(x, y, fit(node.lines[1], box.w - 20, 13, True), 13, SLATE, "bold"))
        for line in node.lines[2:]:
            y += LINE
            self.out.append(_text(x, y, fit(line, box.w - 20, 12), 12, SLATE))
        for line in self.codes_lines(node):
            y += LINE
            self.out.append(_text(x, y, fit(line, box.w - 20, 12, True), 12,
                                  self.code_colour(node, line.split(", ")[0]), "bold"))
        if node.first_break and not any(e.first_break for e in self.graph.edges):
            self.out.append(_text(box.right - 8, box.y + 19, f"breaks {day(node.first_break)}", 11, AMBER,
                                  "bold", "end"))
        self.out.append("</g>")

    def _open_edge(self, edge: Edge) -> tuple[str, dict[str, object]]:
        colour = _status_colour(edge.status)
        width = WIDTHS[edge.kind] + (0.6 if edge.status == BROKEN else 0) if edge.on_path else 1.2
        self.group(f"edge {edge.kind}", edge.id, edge.status, self.graph.codes(edge))
        self.out.append(element("title", {}, escape(self.describe(edge))))
        return colour, {"fill": "none", "stroke": colour, "stroke_width": f"{width:g}",
                        "stroke_dasharray": DASHES.get(edge.kind)}

    def line(self, d: str, style: dict[str, object]) -> None:
        self.out.append(element("path", {"d": d, **style}))

    def describe(self, edge: Edge) -> str:
        source, target = self.graph.nodes[edge.source], self.graph.nodes[edge.target]
        codes = ", ".join(self.graph.codes(edge))
        return f"{source.label} {edge.kind.replace('-', ' ')} {target.label}" + (f": {codes}" if codes else "")

    def edge_label(self, edge: Edge, x: float, y: float, colour: str, anchor: str = "middle",
                   always: bool = False, width: float = 240, below: float | None = None) -> None:
        """An edge's words at (x, y), a line each: its label where it says something, its findings' codes, its
        first break; `below`: the codes and the date that far under the label (across the edge's line)."""
        label = [(edge.label, SLATE if edge.on_path else GREY, "normal")] if always else []
        codes = self.graph.codes(edge)
        rest = [(code, self.code_colour(edge, code), "bold") for code in codes] if width < 200 else \
            [(", ".join(codes), self.code_colour(edge, codes[0]), "bold")] if codes else []
        if edge.first_break:
            rest += [("first break", AMBER, "bold"), (day(edge.first_break), AMBER, "bold")] if width < 200 else \
                [(f"first break {day(edge.first_break)}", AMBER, "bold")]
        places = [(y, words) for words in label] + \
            [(y + (below if below is not None and label else 0) + 14 * (n + (below is None and bool(label))), words)
             for n, words in enumerate(rest)]
        for at, (text, fill, weight) in places:
            self.out.append(_text(x, at, fit(text, width, 12, weight == "bold"), 12, fill, weight, anchor, halo=True))

    def edge(self, edge: Edge) -> None:
        source, target = self.boxes.get(edge.source), self.boxes.get(edge.target)
        if source is None or target is None:
            return
        colour, style = self._open_edge(edge)
        if edge.kind == "presents":
            x1, y1, x2, y2 = source.right, source.cy, target.x, target.cy
            self.line(f"M{x1:.0f},{y1:.0f} C{x1 + 40:.0f},{y1:.0f} {x2 - 40:.0f},{y2:.0f} {x2 - 2:.0f},{y2:.0f}",
                      style)
            self.out.append(_arrow(x2, y2, 1, 0, colour))
            self.edge_label(edge, (x1 + x2) / 2, min(y1, y2) - 8, colour, always=True, width=186, below=26)
        elif edge.kind == "issued" and self.graph.nodes[edge.target].kind == "ca" \
                and self.graph.nodes[edge.source].kind == "ca":
            x, y1, y2 = source.right, source.cy + 6, target.cy - 6
            if y1 > y2:
                y1, y2 = source.cy - 6, target.cy + 6
            bulge = 24 + 8 * self.graph.nodes[edge.target].depth
            self.line(f"M{x:.0f},{y1:.0f} C{x + bulge:.0f},{y1:.0f} {x + bulge:.0f},{y2:.0f} {x + 2:.0f},{y2:.0f}",
                      style)
            self.out.append(_arrow(x, y2, -1, 0, colour))
            self.edge_label(edge, x + bulge * 0.75 + 4, (y1 + y2) / 2 + 4, colour, "start", width=120)
        elif edge.kind == "checks-crl":  # from a truststore's side, into the CRL's right (its words beside it)
            x1, x2, y2 = source.x, target.right, target.cy
            y1 = source.y + 22 if source.cy > target.cy else source.bottom - 22
            self.line(f"M{x1:.0f},{y1:.0f} C{x1 - 60:.0f},{y1:.0f} {x2 + 60:.0f},{y2:.0f} {x2 + 2:.0f},{y2:.0f}",
                      style)
            self.out.append(_arrow(x2, y2, -1, 0, colour))
            self.edge_label(edge, x2 + 12, y2 - 6 - (10 if source.cy < target.cy else 0), colour, "start",
                            always=True, width=150)
        else:  # issued: a CA to a certificate or a CRL to its right
            x1, y1, x2, y2 = source.right, source.cy, target.x, target.cy
            self.line(f"M{x1:.0f},{y1:.0f} C{x1 + 50:.0f},{y1:.0f} {x2 - 50:.0f},{y2:.0f} {x2 - 2:.0f},{y2:.0f}",
                      style)
            self.out.append(_arrow(x2, y2, 1, 0, colour))
            self.edge_label(edge, (x1 + x2) / 2, (y1 + y2) / 2 - 6, colour, width=136)
        self.out.append("</g>")

    def loop(self, edge: Edge, where: str, number: int) -> None:
        """A truststore's trusts edge, around the outside: up (or down) from the truststore, along a channel,
        and into the CA's left side (or a keystore's top or bottom, for a pinned certificate)."""
        source, target = self.boxes.get(edge.source), self.boxes.get(edge.target)
        if source is None or target is None:
            return
        colour, style = self._open_edge(edge)
        top = where == "top"
        sx = source.x + 30 + 16 * number
        sy = source.y if top else source.bottom
        if top:  # the innermost loop is nearest the rows
            channel = float(TOP + CHANNEL * (len(self.loops("top")) - 1 - number) + 4)
        else:
            channel = self.rows_bottom + CHANNEL * number + 4
        node = self.graph.nodes[edge.target]
        if node.kind == "ca":
            lx = (36 if top else 32) - 8 * number
            ty = target.cy + (-8 if top else 8)
            points = [(sx, sy), (sx, channel), (lx, channel), (lx, ty), (target.x - 2, ty)]
            head = (target.x, ty, 1.0, 0.0)
        else:  # into a keystore, from above (top) or below
            kx = target.right - 30 - 16 * number
            ty = target.y if top else target.bottom
            points = [(sx, sy), (sx, channel), (kx, channel), (kx, ty + (-2 if top else 2))]
            head = (kx, ty, 0.0, 1.0 if top else -1.0)
        self.line(_rounded(points), style)
        self.out.append(_arrow(*head, colour))
        self.inline_label(edge, LANES["keystore"] + BOX / 2, channel + 4, colour)
        self.out.append("</g>")

    def inline_label(self, edge: Edge, x: float, y: float, colour: str) -> None:
        """A loop's words on its line, one line (the loops are a channel apart): label, codes, first break."""
        parts: list[tuple[str, str, str | None]] = [(edge.label, SLATE, None)] if edge.on_path or edge.findings else []
        parts += [(code, self.code_colour(edge, code), "bold") for code in self.graph.codes(edge)]
        if edge.first_break:
            parts.append((f"first break {day(edge.first_break)}", AMBER, "bold"))
        if not parts:
            return
        spans = [element("tspan", {"fill": fill, "font_weight": weight},
                         escape(("· " if n else "") + fit(text, 260, 12, weight == "bold")))
                 for n, (text, fill, weight) in enumerate(parts)]
        head = element("text", {"x": f"{x:.0f}", "y": f"{y:.0f}", "font_size": 12, "text_anchor": "middle",
                                "paint_order": "stroke", "stroke": "#ffffff", "stroke_width": 5,
                                "stroke_linejoin": "round"})[:-2]
        self.out.append("\n".join([head + ">", *spans, "</text>"]))

    def legend(self, height: float) -> None:
        y = height - 58
        out = self.out
        out.append('<g class="legend">')
        out.append(element("line", {"x1": 16, "y1": f"{y - 14:.0f}", "x2": WIDTH - 16, "y2": f"{y - 14:.0f}",
                                    "stroke": "#dfe3e6"}))
        x = 20
        for kind, text in (("issued", "issued"), ("presents", "presents its chain to"), ("trusts", "trusts"),
                           ("checks-crl", "checks CRL")):
            out.append(element("line", {"x1": x, "y1": f"{y:.0f}", "x2": x + 34, "y2": f"{y:.0f}", "stroke": SLATE,
                                        "stroke_width": WIDTHS[kind], "stroke_dasharray": DASHES.get(kind)}))
            out.append(_text(x + 40, y + 4, text, 12))
            x += 50 + int(len(text) * 7.4)
        y += 22
        x = 20
        for colour, text in ((SLATE, "holds"), (RED, "broken: the finding's code"),
                             (AMBER, "ends within the warning days"), (GREY, "on no path")):
            out.append(element("rect", {"x": x, "y": f"{y - 9:.0f}", "width": 22, "height": 12, "rx": 3,
                                        "fill": "#ffffff", "stroke": colour, "stroke_width": 2}))
            out.append(_text(x + 28, y + 2, text, 12))
            x += 40 + int(len(text) * 7.4)
        found = self.graph.first_break
        if found is not None:
            ended = " and ".join(common_name(e.what) for e in found.endings) or "broken now"
            out.append(_text(WIDTH - 20, y + 2, fit(f"first break {day(found.at)}: {printable(ended)}", 380, 12,
                                                     True), 12, AMBER, "bold", "end"))
        elif self.graph.first_break_asked:
            out.append(_text(WIDTH - 20, y + 2, "no first break: nothing on the paths ends", 12, SLATE,
                             anchor="end"))
        out.append("</g>")


def _arrow(x: float, y: float, dx: float, dy: float, colour: str) -> str:
    """An arrowhead with its tip at (x, y), pointing along (dx, dy) (a unit axis)."""
    back, side = 9.0, 4.5
    bx, by = x - dx * back, y - dy * back
    px, py = -dy * side, dx * side
    return element("path", {"d": f"M{x:.1f},{y:.1f} L{bx + px:.1f},{by + py:.1f} L{bx - px:.1f},{by - py:.1f} Z",
                            "fill": colour})


def _rounded(points: list[tuple[float, float]], radius: float = 6) -> str:
    """An orthogonal polyline with rounded corners."""
    d = [f"M{points[0][0]:.0f},{points[0][1]:.0f}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False):
        r1 = min(radius, abs(bx - ax) / 2 + abs(by - ay) / 2)
        r2 = min(radius, abs(cx - bx) / 2 + abs(cy - by) / 2)
        r = min(r1, r2)
        ux, uy = _unit(bx - ax, by - ay)
        vx, vy = _unit(cx - bx, cy - by)
        d.append(f"L{bx - ux * r:.0f},{by - uy * r:.0f} Q{bx:.0f},{by:.0f} {bx + vx * r:.0f},{by + vy * r:.0f}")
    d.append(f"L{points[-1][0]:.0f},{points[-1][1]:.0f}")
    return " ".join(d)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    return dx / length, dy / length


def render(graph: Picture) -> str:
    """The graph as one SVG document."""
    return _Layout(graph).render()
