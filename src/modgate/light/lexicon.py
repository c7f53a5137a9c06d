"""The parser's lexicon: phrases → meanings, built once per host vocabulary, plus typo repair.

A phrase is a tuple of words; its meanings are ``(category, value)`` pairs: ``entity``,
``attribute``, ``device``, ``slot``, ``color``, ``enum`` (``key=value``), ``verb`` (see ``VERBS``),
``neg``, ``dir`` (``up``/``down``), ``edge``, ``deny``. Unknown words of four letters or more are
repaired to the nearest known word (optimal-string-alignment distance 1 -- a swap of two
letters counts once -- or 2 from eight letters on) with
rapidfuzz; ties go to the alphabetically first word, so repairs are deterministic. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import webcolors  # type: ignore[import-untyped]
from rapidfuzz import process
from rapidfuzz.distance import OSA

from modgate.light.numbers import MULTIPLIERS, NUMBER_WORDS, UNITS
from modgate.light.vocab import LightVocabulary


def _words(text: str) -> list[str]:
    return text.split()


Meaning = tuple[str, str]

VERBS: Mapping[str, tuple[str, ...]] = {
    "add": ("add", "put", "create", "give me", "i want", "place", "insert", "new"),
    "remove": ("remove", "delete", "take away", "get rid of", "take off", "drop", "lose", "away"),
    "rename": ("rename", "relabel", "call it", "call", "change the name", "change the label", "name it"),
    "reset": ("reset", "restore", "back to default", "back to normal", "default settings", "factory",
              "original settings", "as it was at the start", "back to how it was"),
    "undo": ("undo", "undo that", "take that back", "revert", "go back", "cancel that change", "reverse that",
             "undo my last change", "put it back"),
    "list": ("what have i changed", "what did i change", "show my changes", "list my changes", "my changes",
             "what i changed", "what is different", "what have i set", "what i have changed", "what i've changed",
             "changes i made", "changes i have made", "what i have set", "what's different"),
    "change": ("change", "touch", "alter", "modify", "mess with", "edit", "adjust", "tweak"),
    "keep": ("keep", "leave", "preserve", "stay"),
    "set": ("set", "make", "use", "switch", "turn", "want", "prefer", "like", "should be", "go"),
    "show": ("show", "display", "unhide", "bring back", "visible", "always show"),
    "hide": ("hide", "collapse", "minimize", "minimise", "tuck away", "put away", "close", "fold",
             "out of the way", "hidden", "invisible", "get rid"),
    "dock": ("dock", "docked", "pin", "pinned", "attach", "stick", "snap", "fixed"),
    "float": ("float", "floating", "window", "windowed", "movable", "moveable", "free", "loose", "detach"),
    "auto": ("automatic", "auto", "default layout", "let it decide"),
    "maximize": ("maximize", "maximise", "bigger", "larger", "full screen", "fullscreen",
                 "as big as possible", "enlarge", "expand", "more"),
    "normalsize": ("normal size", "regular size", "usual size", "normal"),
    "on": ("on", "enable", "start", "turn on", "switch on", "activate", "yes", "automatically"),
    "off": ("off", "disable", "stop", "turn off", "switch off", "deactivate", "manual", "manually"),
    "button": ("button", "buttons", "shortcut", "shortcuts", "icon", "key", "quick button"),
    "label": ("to", "as", "called", "named", "saying"),
}
NEGATIONS = ("don't", "dont", "do not", "never", "not", "without", "no", "avoid", "doesn't", "does not",
             "shouldn't", "should not", "mustn't", "must not", "nothing")
UP = ("big", "large", "thick", "fast", "long", "wide", "huge", "giant", "enormous", "massive",
      "thicker", "bigger", "larger", "wider", "fatter", "more", "increase", "raise", "higher", "longer", "heavier",
      "bolder", "stronger", "darker", "faster", "quicker", "up", "grow", "boost", "broader", "extra", "greater")
DOWN = ("thin", "slow", "short", "narrow", "faint",
        "thinner", "smaller", "narrower", "less", "decrease", "lower", "shorter", "lighter", "fainter", "skinnier",
        "finer", "slower", "down", "reduce", "shrink", "weaker", "tinier", "softer", "calmer", "tiny", "small")
EDGES = ("top", "bottom", "left", "right")
DENY: Mapping[str, tuple[str, ...]] = {
    "code": ("script", "javascript", "code", "run", "execute", "install", "plugin", "plug-in", "extension",
             "download", "program", "macro", "terminal", "python", "eval", "command line", "shell", "sql", "html"),
    "approvals": ("approve", "approval", "approvals", "auto approve", "skip approval", "bypass", "ignore the rules",
                  "ignore all", "ignore previous", "ignore your", "without asking", "override", "jailbreak"),
    "roles": ("role", "roles", "admin", "administrator", "permission", "permissions", "superuser", "root",
              "privileges", "access rights", "password"),
    "content": ("add a page", "new page", "delete the page", "delete page", "remove the page", "insert a page",
                "add a slide", "delete the slide", "add text", "write text", "type text", "add a step",
                "delete the step", "add an image", "insert image", "clear the board", "erase everything",
                "delete everything", "clear all"),
}
FILLER = frozenset(_words(
    "the a an my our your me i to of for on in at it its it's is be please can could would you "
    "with and or but so this that these those just bit little lot much very really some always "
    "also by from when make let us we they them he she there here then than as like want would "
    "love need every all any each one thing please pls thanks thank kindly maybe perhaps quite "
    "too way while now default "))
EXTRA_COLORS = {"rebeccapurple": "#663399"}
COLOR_STEMS = ("dark", "light", "medium", "pale", "deep", "hot", "dim", "sky", "sea", "royal", "navy", "forest",
               "lawn", "lime", "olive", "slate", "steel", "midnight", "dodger", "cornflower", "cadet", "powder",
               "spring", "yellow", "green", "lemon", "misty", "ghost", "old", "floral", "antique", "blanched",
               "indian", "lavender", "light goldenrod", "rosy", "saddle", "sandy", "peach", "navajo", "papaya",
               "alice", "blue", "rebecca", "fire", "orange", "violet", "white", "honey", "mint", "web", "burly")
LOCALE_COLORS: Mapping[str, Mapping[str, str]] = {
    "fr": {"rouge": "red", "bleu": "blue", "vert": "green", "noir": "black", "blanc": "white", "jaune": "yellow",
           "violet": "violet", "rose": "pink", "gris": "gray", "marron": "brown", "orange": "orange"},
    "es": {"rojo": "red", "azul": "blue", "verde": "green", "negro": "black", "blanco": "white",
           "amarillo": "yellow", "morado": "purple", "rosa": "pink", "gris": "gray", "marrón": "brown",
           "naranja": "orange"},
    "de": {"rot": "red", "blau": "blue", "grün": "green", "gruen": "green", "schwarz": "black", "weiß": "white",
           "weiss": "white", "gelb": "yellow", "lila": "purple", "rosa": "pink", "grau": "gray",
           "braun": "brown", "orange": "orange"},
}

@dataclass(frozen=True, slots=True)
class Lexicon:
    phrases: Mapping[tuple[str, ...], tuple[Meaning, ...]]
    words: frozenset[str]
    sorted_words: tuple[str, ...]
    longest: int


@cache
def css_colors() -> dict[str, str]:
    """The 148 CSS named colours → ``#RRGGBB`` upper-case (built once; treat as read-only)."""
    names = {name: webcolors.name_to_hex(name, spec="css3").upper() for name in webcolors.names("css3")}
    return {**names, **EXTRA_COLORS}


def _color_phrases(name: str, names: Mapping[str, str]) -> list[tuple[str, ...]]:
    """``darkslateblue`` → (darkslateblue,), (dark, slateblue), (dark, slate, blue), ..."""
    out: list[tuple[str, ...]] = [(name,)]
    for i in range(3, len(name) - 2):
        left, right = name[:i], name[i:]
        if left in COLOR_STEMS and (right in names or len(right) >= 3):
            out.extend((left, *rest) for rest in _color_phrases(right, names))
    return out


def _add(table: dict[tuple[str, ...], list[Meaning]], words: Iterable[str], meaning: Meaning) -> None:
    for phrase in words:
        key = tuple(phrase.lower().replace("-", " ").split())
        if key == ("x",) and meaning[0] == "entity":
            continue  # "x" is the close button only in a submitted intent's entities; in text it is "1.5x"
        if key and meaning not in table.setdefault(key, []):
            table[key].append(meaning)


def _vocab_phrases(table: dict[tuple[str, ...], list[Meaning]], vocab: LightVocabulary) -> None:
    for category, mapping in (("entity", vocab.entities), ("attribute", vocab.attributes),
                              ("device", vocab.devices), ("slot", vocab.slots)):
        for key, words in mapping.items():
            _add(table, (key.replace("_", " "), *words) if category != "slot" else words, (category, key))
    for pref in vocab.prefs:
        for value, words in pref.value_words.items():
            _add(table, words, ("enum", f"{pref.key}={value}"))
    for action in vocab.shortcut_actions:
        _add(table, action.words, ("action", action.name))


@cache
def lexicon_for(vocab: LightVocabulary) -> Lexicon:
    table: dict[tuple[str, ...], list[Meaning]] = {}
    _vocab_phrases(table, vocab)
    names = css_colors()
    for name in names:
        _add(table, [" ".join(p) for p in _color_phrases(name, names)], ("color", name))
    _add(table, ["grey"], ("color", "gray"))
    for verb, words in VERBS.items():
        _add(table, words, ("verb", verb))
    _add(table, NEGATIONS, ("neg", "not"))
    _add(table, UP, ("dir", "up"))
    _add(table, DOWN, ("dir", "down"))
    _add(table, EDGES, ("edge", ""))
    _add(table, ["too"], ("mod", "too"))  # "too small" is a complaint: the grammar inverts it
    for what, words in DENY.items():
        _add(table, words, ("deny", what))
    phrases = {k: tuple(v) for k, v in table.items()}
    known = frozenset(w for k in phrases for w in k) | NUMBER_WORDS | set(MULTIPLIERS) | set(UNITS) | FILLER
    return Lexicon(phrases=phrases, words=known, sorted_words=tuple(sorted(w for w in known if len(w) >= 3)),
                   longest=max(len(k) for k in phrases))


def repair(word: str, lex: Lexicon) -> str | None:
    """The known word a typo stands for, or None (only for words of four letters or more)."""
    if word in lex.words or len(word) < 4 or not word.isalpha():
        return None
    for stem in _stems(word):
        if stem in lex.words:
            return stem
    limit = 1 if len(word) < 8 else 2
    found = process.extractOne(word, lex.sorted_words, scorer=OSA.distance, score_cutoff=limit)
    return None if found is None else str(found[0])


def _stems(word: str) -> list[str]:
    """Simple English inflections: plurals, -ing, -ed, -ly."""
    out = []
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
                         ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: len(word) - len(suffix)] + repl)
    return out
