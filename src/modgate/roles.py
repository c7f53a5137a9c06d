"""Who may do what: the one role table, used by every entry point (DESIGN.md §6).

A *role* is who asks for a change. It is not the host *application* (the app that embeds
modgate, :class:`modgate.host.model.Host`): the ``host`` role is that application's owner — the
person or program with full rights over it. ``owner`` is accepted as an input alias of ``host``;
stored data, the audit log and JSON always say ``host``.

========== ============================================ ========= ============ =========
role       who                                          dispatch  gated effects approves
========== ============================================ ========= ============ =========
host       the application's owner                      yes       run at once  yes
student    a person using the app with fewer rights     yes       queued       no
agent      an LLM connected through MCP                 yes       queued       no
extension  commands returned by an extension's handler  yes       queued       no
light_user the light track (plain-language requests)    no        queued       no
========== ============================================ ========= ============ =========

"Gated effects" are approval-gated commands (``requiresApproval``): every role but ``host``
gets a pending transaction that only a ``host`` may approve. The light track never dispatches
commands itself; it proposes transactions that a host approves. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST = "host"


@dataclass(frozen=True, slots=True, kw_only=True)
class Role:
    name: str
    who: str
    may_dispatch: bool
    queued: bool  # approval-gated effects wait for a host instead of running
    may_approve: bool


TABLE: dict[str, Role] = {
    role.name: role
    for role in (
        Role(name=HOST, who="the application's owner", may_dispatch=True, queued=False, may_approve=True),
        Role(name="student", who="a person using the app with fewer rights", may_dispatch=True, queued=True,
             may_approve=False),
        Role(name="agent", who="an LLM connected through MCP", may_dispatch=True, queued=True, may_approve=False),
        Role(name="extension", who="commands returned by an extension mod's hook handler", may_dispatch=True,
             queued=True, may_approve=False),
        Role(name="light_user", who="the light track: a plain-language request", may_dispatch=False, queued=True,
             may_approve=False),
    )
}
ALIASES = {"owner": HOST}
NAMES: tuple[str, ...] = tuple(TABLE)
# What a person may type for a role on the command line (dispatching roles and their aliases).
DISPATCH_CHOICES: tuple[str, ...] = (*(r.name for r in TABLE.values() if r.may_dispatch), *ALIASES)


def canonical(name: str) -> str | None:
    """The stored role name for ``name`` (an alias resolved), or None when there is no such role."""
    name = ALIASES.get(name, name)
    return name if name in TABLE else None


def role(name: str) -> Role:
    return TABLE[canonical(name) or name]


def queues_gated(name: str) -> bool:
    """True when this role's approval-gated effects wait for a host."""
    return TABLE[name].queued


def may_approve(name: str) -> bool:
    found = canonical(name)
    return found is not None and TABLE[found].may_approve


def may_dispatch(name: str) -> bool:
    found = canonical(name)
    return found is not None and TABLE[found].may_dispatch


# Roles a tx-preview/v1 is rendered for (secrets redacted for all but the host), sorted. The
# extension and light_user roles never read raw previews: hooks get events, light users get
# preview.diff.v1. Part of the preview's hash, so it only grows with a new preview version.
PREVIEW_ROLES = ("agent", "host", "student")
