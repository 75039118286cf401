"""Certificate policies along a path, as sun.security.provider.certpath.PolicyChecker processes them.

RFC 5280 6.1.3 (d)-(f), 6.1.4 (a), (b), (h)-(j) and 6.1.5 (a), (b), (g), with
the inputs JSSE gives: any initial policy, no explicit policy required, policy
mapping and anyPolicy allowed. So a path fails on policies only when a CA
demands them (policyConstraints requireExplicitPolicy, inhibitPolicyMapping,
inhibitAnyPolicy) and the certificates below it do not carry an acceptable
one, or when a mapping names anyPolicy. (JSSE's other setting,
rejectPolicyQualifiers, is pkix's _policy_qualifiers.)
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from .. import der
from ..pki import certs

ANY = "2.5.29.32.0"
NO_TREE = "non-null policy tree required and policy tree is null"


@dataclass(eq=False)
class _Node:
    policy: str
    expected: set[str]
    parent: "_Node | None"
    children: list["_Node"] = field(default_factory=list)

    def add(self, policy: str, expected: set[str]) -> "_Node":
        child = _Node(policy, expected, self)
        self.children.append(child)
        return child


def check(path: Sequence[x509.Certificate]) -> str | None:
    """Java's words for why the path (the certificate after the anchor first, the leaf last) fails on
    policies, or None when it passes."""
    n = len(path)
    explicit, mapping, any_policy = n + 1, n + 1, n + 1
    levels: list[list[_Node]] | None = [[_Node(ANY, {ANY}, None)]]
    for i, cert in enumerate(path, 1):
        policies = certs.extension(cert, x509.CertificatePolicies)
        self_issued = certs.same_name(cert.subject, cert.issuer)
        if levels is not None:
            levels = _grow(levels, [p.policy_identifier.dotted_string for p in policies] if policies else None,
                           any_policy > 0 or (i < n and self_issued))
        if levels is not None and not levels[0]:
            levels = None
        if explicit <= 0 and levels is None:
            return NO_TREE
        constraints = certs.extension(cert, x509.PolicyConstraints)
        if i == n:  # wrap-up
            explicit = 0 if constraints and constraints.require_explicit_policy == 0 else max(explicit - 1, 0)
            break
        mappings = _mappings(cert)
        wrong = _maps_any(mappings)
        if wrong:
            return wrong
        if levels is not None and mappings:
            levels = _map(levels, mappings, mapping > 0)
        if not self_issued:
            explicit, mapping, any_policy = (max(v - 1, 0) for v in (explicit, mapping, any_policy))
        if constraints and constraints.require_explicit_policy is not None:
            explicit = min(explicit, constraints.require_explicit_policy)
        if constraints and constraints.inhibit_policy_mapping is not None:
            mapping = min(mapping, constraints.inhibit_policy_mapping)
        inhibit = certs.extension(cert, x509.InhibitAnyPolicy)
        if inhibit is not None:
            any_policy = min(any_policy, inhibit.skip_certs)
    return NO_TREE if explicit <= 0 and levels is None else None


def _grow(levels: list[list[_Node]], policies: list[str] | None, any_allowed: bool) -> list[list[_Node]] | None:
    """6.1.3 (d) and (e): the next level of the tree, from the certificate's policies."""
    if policies is None:
        return None
    last, level = levels[-1], []
    for policy in (p for p in policies if p != ANY):
        parents = [node for node in last if policy in node.expected] or [node for node in last if node.policy == ANY]
        level += [parent.add(policy, {policy}) for parent in parents]
    if ANY in policies and any_allowed:
        for node in last:
            taken = {child.policy for child in node.children}
            level += [node.add(policy, {policy}) for policy in sorted(node.expected - taken)]
    return _pruned([*levels, level])


def _pruned(levels: list[list[_Node]]) -> list[list[_Node]]:
    """Nodes above the last level that have no children are deleted, until none is left."""
    for depth in range(len(levels) - 2, -1, -1):
        kept = [node for node in levels[depth] if node.children]
        for node in levels[depth]:
            if not node.children and node.parent is not None:
                node.parent.children.remove(node)
        levels[depth] = kept
    return levels


def _mappings(cert: x509.Certificate) -> list[tuple[str, str]]:
    """policyMappings as (issuerDomainPolicy, subjectDomainPolicy) pairs (cryptography leaves them raw)."""
    found = next((e.value for e in certs.extensions(cert) if e.oid == ExtensionOID.POLICY_MAPPINGS), None)
    try:
        pairs = der.items(der.decode(getattr(found, "value", b""), der.SEQUENCE)) if found is not None else []
        return [(der.to_oid(a[1]), der.to_oid(b[1])) for a, b in (der.items(content) for _, content in pairs)]
    except (der.DerError, ValueError):
        return []


def _maps_any(mappings: list[tuple[str, str]]) -> str | None:
    for issuer, subject in mappings:
        if issuer == ANY:
            return "encountered an issuerDomainPolicy of ANY_POLICY"
        if subject == ANY:
            return "encountered a subjectDomainPolicy of ANY_POLICY"
    return None


def _map(levels: list[list[_Node]], mappings: list[tuple[str, str]], allowed: bool) -> list[list[_Node]] | None:
    """6.1.4 (b): with mapping allowed, the mapped policies become the expected ones; inhibited, the
    issuer-domain policies are deleted."""
    mapped: dict[str, set[str]] = {}
    for issuer, subject in mappings:
        mapped.setdefault(issuer, set()).add(subject)
    last = levels[-1]
    for policy, subjects in mapped.items():
        nodes = [node for node in last if node.policy == policy]
        if not allowed:
            for node in nodes:
                last.remove(node)
                if node.parent is not None:
                    node.parent.children.remove(node)
            continue
        for node in nodes:
            node.expected = set(subjects)
        anys = [node for node in last if node.policy == ANY]
        if not nodes and anys and anys[0].parent is not None:
            last.append(anys[0].parent.add(policy, set(subjects)))
    levels = _pruned(levels)
    return levels if levels[0] else None
