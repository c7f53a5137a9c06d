"""Install sources, parsed without I/O: a local folder, a ``file://`` URL or a GitHub URL.

GitHub forms (companion C6): ``git@github.com:<owner>/<repo>[.git]`` and
``https|ssh|git://github.com/<owner>/<repo>[.git][/tree/<ref>/<subpath>]``. A ``blob`` URL is
refused with guidance to use a tree URL; any other host is refused. The clone URL is
``<base>/<owner>/<repo>.git`` where ``base`` is ``MODGATE_GITHUB_BASE`` (default
``https://github.com``); the shell passes it in. Credentials, queries and fragments are never
kept: :attr:`Source.display` is what records, audit and diagnostics store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from modgate.ext.errors import fail

DEFAULT_GITHUB_BASE = "https://github.com"
GITHUB_SCHEMES = ("https", "ssh", "git")
FIRST_PARTY_REPOS = (("bikz", "codexchat"), ("bikz", "codex-chat"))
_NAME = re.compile(r"^[A-Za-z0-9._-]+\Z")
TREE_URL_HINT = "`https://github.com/<owner>/<repo>/tree/<branch>/<mod-path>`"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    kind: str  # "local" | "github"
    display: str  # credential-free, what we store
    path: str | None = None  # local folder (as given, not yet resolved)
    owner: str | None = None
    repo: str | None = None
    clone_url: str | None = None
    tree: tuple[str, ...] | None = None  # decoded segments after /tree/: ref + subpath

    @property
    def host(self) -> str:
        return "github.com" if self.kind == "github" else "local"

    @property
    def official(self) -> bool:
        """The CodexChat repository, whose ``mods/first-party`` packages may use ``codexchat.``."""
        return (str(self.owner).lower(), str(self.repo).lower()) in FIRST_PARTY_REPOS


def parse_source(text: str, github_base: str = DEFAULT_GITHUB_BASE) -> Source:
    source = text.strip()
    if not source:
        fail("install.invalid-source", f"Invalid mod source: {text}", "SOURCE")
    if source.lower().startswith("file://"):
        parts = urlsplit(source)
        path = unquote(parts.path)
        # "file://", "file://host/x" and "file://./x" once all meant the current folder.
        if parts.netloc.lower() not in ("", "localhost") or not path.startswith("/"):
            fail("install.invalid-source", f"Invalid mod source: {strip_credentials(source)} (a file URL needs an"
                 " absolute path on this machine: file:///path/to/mod)", "SOURCE")
        return Source(kind="local", display=f"file://{path}", path=path)
    if source.startswith("git@"):
        return _scp_form(source, github_base)
    if "://" in source:
        return _url_form(source, github_base)
    return Source(kind="local", display=source, path=source)


def _unsupported(source: str) -> Source:
    fail("install.unsupported-host", f"Unsupported remote source URL: {strip_credentials(source)}. "
         "Only GitHub repositories are supported for remote install.", "SOURCE")


def _scp_form(source: str, base: str) -> Source:
    host, _, rest = source[len("git@"):].partition(":")
    if host.lower() != "github.com" or not rest:
        return _unsupported(source)
    owner, repo = _owner_repo(rest.split("/"), source)
    # Without a base override the ssh form is cloned as written (the user's keys apply).
    clone = source if base == DEFAULT_GITHUB_BASE else _clone_url(base, owner, repo)
    return Source(kind="github", display=f"git@github.com:{owner}/{repo}.git", owner=owner, repo=repo,
                  clone_url=clone)


def _url_form(source: str, base: str) -> Source:
    try:
        parts = urlsplit(source)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        fail("install.invalid-source", f"Invalid mod source: {strip_credentials(source)}", "SOURCE")
    if parts.scheme.lower() not in GITHUB_SCHEMES or host != "github.com":
        return _unsupported(source)
    segments = [s for s in parts.path.split("/") if s]
    owner, repo = _owner_repo(segments, source)
    tree: tuple[str, ...] | None = None
    if len(segments) > 2 and segments[2] == "blob":
        fail("install.blob-url", f"Unsupported GitHub blob URL: {strip_credentials(source)}. Use the repository "
             f"URL or a tree URL ({TREE_URL_HINT}).", "SOURCE")
    if len(segments) > 3 and segments[2] == "tree":
        tree = tuple(unquote(s) for s in segments[3:])
    display = f"https://github.com/{owner}/{repo}" + ("/tree/" + "/".join(segments[3:]) if tree else "")
    return Source(kind="github", display=display, owner=owner, repo=repo, clone_url=_clone_url(base, owner, repo),
                  tree=tree)


def _owner_repo(segments: list[str], source: str) -> tuple[str, str]:
    if len(segments) < 2:
        fail("install.invalid-source", f"Invalid mod source: {strip_credentials(source)} "
             "(expected github.com/<owner>/<repo>)", "SOURCE")
    owner, repo = segments[0], segments[1].removesuffix(".git")
    if not all(_NAME.match(n) and n.strip(".") for n in (owner, repo)):
        fail("install.invalid-source", f"Invalid mod source: {strip_credentials(source)}", "SOURCE")
    return owner, repo


def _clone_url(base: str, owner: str, repo: str) -> str:
    return f"{base.rstrip('/')}/{owner}/{repo}.git"


def strip_credentials(url: str) -> str:
    """Drop ``user:token@``, the query and the fragment from a URL (not the ``git@`` of ssh)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}"


def pick_ref(segments: tuple[str, ...], refs: Iterable[str] | None) -> tuple[str, tuple[str, ...]]:
    """Split tree segments into ``(ref, subpath)`` by the longest ref the remote has.

    Branches with slashes (``feature/x``) work this way; with no ref list (ls-remote failed)
    the first segment is the ref, as CodexChat does.
    """
    known = set(refs or ())
    for cut in range(len(segments), 0, -1):
        if "/".join(segments[:cut]) in known:
            return "/".join(segments[:cut]), segments[cut:]
    return segments[0], segments[1:]


def check_subpath(subpath: tuple[str, ...]) -> str:
    """The subpath as a relative POSIX path; ``..``, empty or slash-smuggling segments escape."""
    for segment in subpath:
        if segment in ("", ".", "..") or "/" in segment or "\\" in segment or "\x00" in segment:
            fail("install.subpath-escape", f"Tree subpath escapes the repository: {'/'.join(subpath)}", "SOURCE")
    return "/".join(subpath)


def parse_ls_remote(output: str) -> list[str]:
    """Short ref names from ``git ls-remote --heads --tags`` output."""
    names = []
    for line in output.splitlines():
        _, _, ref = line.partition("\t")
        ref = ref.removesuffix("^{}")
        for prefix in ("refs/heads/", "refs/tags/"):
            if ref.startswith(prefix):
                names.append(ref[len(prefix):])
    return names
