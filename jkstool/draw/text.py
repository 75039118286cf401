"""A pair's graph as text other tools draw: a Mermaid flowchart (GitHub and GitLab render it in Markdown)
and Graphviz's DOT. The same nodes, edges and colours as the SVG; the layout is theirs.

Every text from a certificate or a file is written in the format's own escapes (Mermaid's `#NN;` entity
codes, DOT's quoted strings), never as markup; lines stay within 100 columns where a name allows it.
"""

from .model import BROKEN, EXPIRING, IDLE, Edge, Node, Picture, day
from .svg import AMBER, FILL, GREY, RED, SLATE

_COLOUR = {BROKEN: RED, EXPIRING: AMBER, IDLE: GREY}
_LANES = (("ca", "CAs"), ("keystore", "keystores: what each side presents"),
          ("truststore", "truststores: what each side trusts"), ("crl", "CRLs"))
_WIDE = 38
"""The characters of a line in a node (a longer one is cut with …)."""


def _cut(text: str, room: int = _WIDE) -> str:
    return text if len(text) <= room else text[:room - 1] + "…"


def _node_lines(graph: Picture, node: Node) -> list[str]:
    lines = [node.lines[0].upper(), *node.lines[1:]] if node.kind != "verdict" else list(node.lines)
    codes = graph.codes(node)
    if codes:
        lines.append(", ".join(codes))
    if node.first_break:
        lines.append(f"first break {day(node.first_break)}")
    return [_cut(line, 64 if node.kind == "verdict" else _WIDE) for line in lines]


def _edge_words(graph: Picture, edge: Edge) -> str:
    words = [edge.label] if edge.on_path or edge.findings else []
    words += graph.codes(edge)
    if edge.first_break:
        words.append(f"first break {day(edge.first_break)}")
    return " · ".join(_cut(word, 30) for word in words)


def _ids(graph: Picture) -> dict[str, str]:
    """A plain identifier per node (n0, n1...): nothing of a certificate's is ever an identifier."""
    return {node: f"n{number}" for number, node in enumerate(graph.nodes)}


# -- Mermaid -------------------------------------------------------------------------------------

_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:'/()_-")


def mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: every character outside a small safe set as an entity code
    (#60; for <), so that nothing in it is read as Mermaid syntax, HTML or Markdown."""
    return "".join(c if c in _SAFE else f"#{ord(c)};" for c in text)


_MERMAID_SHAPES = {"ca": ('["', '"]'), "keystore": ('[("', '")]'), "truststore": ('[("', '")]'),
                   "crl": ('[/"', '"/]'), "verdict": ('("', '")')}
_ARROWS = {"issued": "-->", "presents": "==>", "trusts": "-.->", "checks-crl": "-.->"}


def mermaid(graph: Picture) -> str:
    """The graph as a Mermaid flowchart, left to right, a subgraph per lane."""
    ids = _ids(graph)
    out = ["%% jkstool graph: paste into a ```mermaid block (GitHub, GitLab), or render with mmdc",
           "flowchart LR"]
    verdict = graph.nodes["verdict"]
    out += _mermaid_node(graph, verdict, ids[verdict.id], "  ")
    for number, (kind, title) in enumerate(_LANES):
        members = [n for n in graph.nodes.values() if n.kind == kind]
        if not members:
            continue
        out.append(f'  subgraph lane{number}["{mermaid_text(title)}"]')
        out.append("    direction TB")
        for node in members:
            out += _mermaid_node(graph, node, ids[node.id], "    ")
        out.append("  end")
    styles = []
    for number, edge in enumerate(graph.edges):
        words = _edge_words(graph, edge)
        label = f'|"{mermaid_text(words)}"|' if words else ""
        out.append(f"  {ids[edge.source]} {_ARROWS[edge.kind]}{label} {ids[edge.target]}")
        colour = _COLOUR.get(edge.status, SLATE)
        width = 3 if edge.kind == "presents" else 2 if edge.on_path else 1
        styles.append(f"  linkStyle {number} stroke:{colour},stroke-width:{width}px")
    out += styles
    out += [f"  classDef {status} fill:{FILL.get(status, '#ffffff')},stroke:{_COLOUR.get(status, SLATE)},"
            f"stroke-width:{2 if status == BROKEN else 1}px,color:#263238"
            for status in ("ok", BROKEN, EXPIRING, IDLE)]
    for status in ("ok", BROKEN, EXPIRING, IDLE):
        named = [ids[n.id] for n in graph.nodes.values() if n.status == status]
        for start in range(0, len(named), 12):
            out.append(f"  class {','.join(named[start:start + 12])} {status}")
    return "\n".join(out) + "\n"


def _mermaid_node(graph: Picture, node: Node, name: str, indent: str) -> list[str]:
    """A node, its label a line of the source per line of text (a newline in a quoted label is a line
    break)."""
    opening, closing = _MERMAID_SHAPES[node.kind]
    lines = [mermaid_text(line) for line in _node_lines(graph, node)]
    return [f"{indent}{name}{opening}{lines[0]}", *lines[1:-1], f"{lines[-1]}{closing}"] if len(lines) > 1 \
        else [f"{indent}{name}{opening}{lines[0]}{closing}"]


# -- DOT -------------------------------------------------------------------------------------------

def dot_text(text: str) -> str:
    """Text inside a DOT double-quoted string: backslashes and quotes escaped, so that no escString sequence
    such as \\N or \\l can form (control characters are escaped before, by printable)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


_DOT_SHAPES = {"ca": "box", "keystore": "cylinder", "truststore": "cylinder", "crl": "note", "verdict": "box"}
_DOT_STYLES = {"issued": "solid", "presents": "bold", "trusts": "dashed", "checks-crl": "dotted"}


def dot(graph: Picture) -> str:
    """The graph in DOT: left to right, a cluster per lane; the trusts edges do not rank the lanes."""
    ids = _ids(graph)
    out = ["// jkstool graph: dot -Tsvg graph.dot -o graph.svg", "digraph jkstool {",
           '  graph [rankdir=LR, newrank=true, nodesep=0.3, ranksep=0.9, fontname="DejaVu Sans",',
           f'         labelloc=t, label="{dot_text(_cut(graph.name, 60)) or "jkstool graph"}"];',
           '  node [fontname="DejaVu Sans", fontsize=11, style="rounded,filled", margin="0.15,0.08"];',
           '  edge [fontname="DejaVu Sans", fontsize=10];']
    out += _dot_node(graph, graph.nodes["verdict"], ids, "  ")
    for number, (kind, title) in enumerate(_LANES):
        members = [n for n in graph.nodes.values() if n.kind == kind]
        if not members:
            continue
        out.append(f"  subgraph cluster_{number} {{")
        out.append(f'    label="{dot_text(title)}";')
        out.append(f'    style="rounded"; color="#dfe3e6"; fontcolor="{GREY}";')
        for node in members:
            out += _dot_node(graph, node, ids, "    ")
        out.append("  }")
    for edge in graph.edges:
        colour = _COLOUR.get(edge.status, SLATE)
        width = 2.4 if edge.kind == "presents" else 1.6 if edge.on_path else 1
        words = _edge_words(graph, edge)
        attributes = [f'color="{colour}"', f'fontcolor="{colour}"', f"style={_DOT_STYLES[edge.kind]}",
                      f"penwidth={width}"]
        if words:
            attributes.append(f'label="{dot_text(words)}"')
        if edge.kind in ("trusts", "checks-crl"):
            attributes.append("constraint=false")
        out.append(f"  {ids[edge.source]} -> {ids[edge.target]} [{', '.join(attributes[:4])}" +
                   "".join(f",\n    {attribute}" for attribute in attributes[4:]) + "];")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_node(graph: Picture, node: Node, ids: dict[str, str], indent: str) -> list[str]:
    """A node; its label a quoted string per line, joined with DOT's + (so that no line runs long)."""
    colour = _COLOUR.get(node.status, SLATE)
    if node.kind == "verdict":
        colour = RED if not graph.ok and node.status == BROKEN else SLATE
    lines = _node_lines(graph, node)
    parts = [f'"{dot_text(line)}\\n"' for line in lines[:-1]] + [f'"{dot_text(lines[-1])}"']
    return [f"{indent}{ids[node.id]} [shape={_DOT_SHAPES[node.kind]}, color=\"{colour}\", "
            f"fillcolor=\"{FILL.get(node.status, '#ffffff')}\",",
            f"{indent}  label={parts[0]}", *(f"{indent}    + {part}" for part in parts[1:]), f"{indent}];"]
