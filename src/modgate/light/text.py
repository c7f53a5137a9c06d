"""Text handling for the parser: sanitising, code detection, language guess, tokens, phrase matching. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from modgate.light.lexicon import Lexicon, Meaning, repair


def _words(text: str) -> list[str]:
    return text.split()


MAX_CHARS = 500
CODE_MARKERS = ("<script", "function(", "function (", "=>", "```", "<?php", "javascript:", "eval(", "import os",
                "exec(", "</", "/>", "onclick=", "onerror=", "$(", "${", "rm -rf")
_CODE_MARKERS = tuple(m.replace(" ", "") for m in CODE_MARKERS)
_TOKEN = re.compile(r"#[0-9a-f]{6}\b|#[0-9a-f]{3}\b|\d+(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?|%|[,.;!?]")
BREAKERS = frozenset({",", ".", ";", "!", "?", "but", "and", "also", "then", "while", "though", "however"})
SCRIPTS = (("HANGUL", "Korean"), ("HIRAGANA", "Japanese"), ("KATAKANA", "Japanese"), ("CJK", "Chinese"),
           ("CYRILLIC", "Russian"), ("ARABIC", "Arabic"), ("HEBREW", "Hebrew"), ("GREEK", "Greek"),
           ("DEVANAGARI", "Hindi"), ("THAI", "Thai"), ("BENGALI", "Bengali"), ("TAMIL", "Tamil"),
           ("ARMENIAN", "Armenian"), ("GEORGIAN", "Georgian"))
STOPWORDS: Mapping[str, frozenset[str]] = {
    "French": frozenset(_words(
    "le la les du des un une est et mon ma mes plus pour avec sur dans je veux stylo couleur "
    "rouge bleu faire mettre rendre svp ")),
    "Spanish": frozenset(_words(
    "el la los las del un una es y mi mis más para con en quiero lápiz lapiz color rojo azul "
    "hacer poner por favor ")),
    "German": frozenset(_words(
    "der die das ein eine ist und mein meine mehr für mit auf ich möchte will stift farbe rot "
    "blau machen bitte den dem ")),
    "Italian": frozenset(_words(
    "il lo la gli le un una è e mio mia più per con su voglio penna colore rosso blu fare ")),
    "Portuguese": frozenset(_words(
    "o a os as um uma é e meu minha mais para com em quero caneta cor vermelho azul fazer ")),
    "Dutch": frozenset(_words(
    "de het een is en mijn meer voor met op ik wil pen kleur rood blauw maken ")),
}
LOCALE_LANGUAGE = {"fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese",
                   "nl": "Dutch", "en": "English"}

def sanitize(text: str) -> str:
    """Validation/normalisation rule 1: NFKC, no control or format characters, single spaces, trimmed."""
    if text.isascii() and text.isprintable():  # the common case: nothing to normalise but spaces
        return " ".join(text[: MAX_CHARS * 4].split())
    bounded = "".join(c for c in text[: MAX_CHARS * 4] if unicodedata.category(c) != "Cs")  # lone surrogates
    norm = unicodedata.normalize("NFKC", bounded).replace("’", "'").replace("‘", "'")
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Zs") else c for c in norm)
    return " ".join(kept.split())


def code_like(text: str) -> bool:
    """Validation rule 6: executable or code-like content."""
    lowered = text.lower().replace(" ", "")
    return any(marker in lowered for marker in _CODE_MARKERS)


def script_language(text: str) -> str | None:
    """The language a non-Latin script suggests (the first such letter decides)."""
    if text.isascii():
        return None
    for char in text:
        if char.isalpha() and ord(char) > 0x24F:
            name = unicodedata.name(char, "")
            for script, language in SCRIPTS:
                if script in name:
                    return language
            return "an unsupported script"
    return None


ENGLISH = frozenset(_words("the a an is are my me make please i want to of and on in it be can could would you "
                           "should change set use put more less with at for this that"))


def latin_language(words: list[str]) -> str | None:
    """A non-English Latin-script language: at least two of its common words, more than English ones."""
    best, hits = None, max(1, sum(1 for w in words if w in ENGLISH))
    for language, stop in STOPWORDS.items():
        count = sum(1 for w in words if w in stop)
        if count > hits:
            best, hits = language, count
    return best


@dataclass(frozen=True, slots=True)
class Item:
    start: int
    end: int
    words: tuple[str, ...]
    meanings: tuple[Meaning, ...]


def tokenize(text: str, lex: Lexicon, extra: Mapping[str, str] | None = None) -> tuple[list[str], int]:
    """Lower-cased tokens with typos repaired (and locale words mapped); returns the number of repairs."""
    tokens, repaired = [], 0
    for raw in _TOKEN.findall(text.lower()):
        word = extra.get(raw, raw) if extra else raw
        fixed = repair(word, lex)
        if fixed is not None:
            repaired += 1
            word = fixed
        tokens.append(word)
    return tokens, repaired


def match(tokens: list[str], lex: Lexicon) -> list[Item]:
    """Greedy longest phrase match, left to right."""
    items, i = [], 0
    while i < len(tokens):
        if tokens[i].startswith("#"):
            items.append(Item(i, i + 1, (tokens[i],), (("color", hex_color(tokens[i])),)))
            i += 1
            continue
        for size in range(min(lex.longest, len(tokens) - i), 0, -1):
            key = tuple(tokens[i:i + size])
            meanings = lex.phrases.get(key)
            if meanings:
                items.append(Item(i, i + size, key, meanings))
                i += size
                break
        else:
            i += 1
    return items


def sanitize_raw(text: str) -> str:
    """``rawText`` as stored for audit: NUL and other control characters dropped, bounded length."""
    bounded = text[: MAX_CHARS * 4]
    if bounded.isascii() and bounded.isprintable():
        return bounded
    return "".join(c for c in bounded if c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs"))


def hex_color(token: str) -> str:
    """``#f80`` → ``#FF8800``; ``#ff8800`` → ``#FF8800``."""
    digits = token[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()
