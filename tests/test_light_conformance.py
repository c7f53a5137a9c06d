"""The vocabulary table of light-track.md §2 (../shared): every id and every word listed is understood."""

from __future__ import annotations

import re

import pytest
from tests.sharedpaths import REASON, SHARED, shared

from modgate.host.board_light import board_light
from modgate.light.intent import normalize
from modgate.light.parser import parse

VOCAB = board_light()


def _table() -> list[tuple[str, list[str]]]:
    text = shared("specs", "light-track.md").read_text(encoding="utf-8")
    section = text.split("## 2. Vocabulary", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            ids = re.findall(r"`([a-z_]+)`", cells[0])
            words = [w.strip() for w in cells[2].split(",") if w.strip()]
            rows.extend((i, words) for i in ids)
    return rows


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_every_id_and_word_of_the_vocabulary_table_is_canonicalised() -> None:
    rows = _table()
    assert len(rows) >= 14
    intent = parse("make my pen red", VOCAB, intent_id="i", created_at="2026-01-01T00:00:00Z")
    for entity, words in rows:
        assert entity in VOCAB.entities, entity
        intent["targets"]["entities"] = [entity.replace("_", " ")]
        assert normalize(intent, VOCAB)["targets"]["entities"] == [entity]
        for word in words:
            intent["targets"]["entities"] = [word]
            found = normalize(intent, VOCAB)["targets"]["entities"][0]
            assert found in VOCAB.entities, (entity, word, found)
