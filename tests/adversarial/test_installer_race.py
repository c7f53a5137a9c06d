"""Finding 2: the installer's check-then-copy race.

The package is scanned, then a scanned folder is swapped for a symlink to an outside folder that
holds a file of the same name. The copy must never bring the outside file in: it goes through
file descriptors (no component followed) and the staged copy is re-hashed against the scan.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modgate.ext.errors import ExtError
from modgate.ext.tree import Limits, copy_tree, scan


def _package(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "pkg"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "deeper" / "data.txt").write_text("package data")
    (root / "top.txt").write_text("top")
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "deeper" / "data.txt").write_text("SECRET FROM OUTSIDE")
    return root, outside


@pytest.mark.parametrize("swapped", ["sub", "sub/deeper"])
def test_a_folder_swapped_for_a_symlink_after_the_scan_is_not_followed(tmp_path: Path, swapped: str) -> None:
    root, outside = _package(tmp_path)
    listing = scan(root, Limits())
    target = outside if swapped == "sub" else outside / "deeper"
    os.rename(root / swapped, tmp_path / "moved-away")
    os.symlink(target, root / swapped)
    dest = tmp_path / "copy"
    with pytest.raises(ExtError) as info:
        copy_tree(root, listing, dest, Limits())
    assert info.value.code in ("install.special-file", "install.changed-during-copy")
    copied = [p.read_text() for p in dest.rglob("*.txt")] if dest.exists() else []
    assert "SECRET FROM OUTSIDE" not in copied


def test_a_file_swapped_for_another_is_caught_by_the_rehash(tmp_path: Path) -> None:
    root, _ = _package(tmp_path)
    listing = scan(root, Limits())
    (root / "extra.txt").write_text("not scanned")
    (root / "top.txt").unlink()
    (root / "top.txt").mkdir()  # the scanned file is now a folder
    with pytest.raises(ExtError):
        copy_tree(root, listing, tmp_path / "copy", Limits())


def test_an_untouched_tree_copies_and_matches(tmp_path: Path) -> None:
    root, _ = _package(tmp_path)
    listing = scan(root, Limits())
    copy_tree(root, listing, tmp_path / "copy", Limits())
    assert (tmp_path / "copy" / "sub" / "deeper" / "data.txt").read_text() == "package data"


def test_a_swapping_thread_never_gets_an_outside_file_in(tmp_path: Path) -> None:
    """The race as it happens: a thread keeps swapping a folder for a symlink while copies run."""
    import threading
    import time

    root, outside = _package(tmp_path)
    for i in range(40):
        (root / "sub" / "deeper" / f"f{i}.txt").write_text("package data")
        (outside / "deeper" / f"f{i}.txt").write_text("SECRET FROM OUTSIDE")
    listing = scan(root, Limits())
    stop = threading.Event()

    def swap() -> None:
        real, link = tmp_path / "real-sub", root / "sub"
        while not stop.is_set():
            os.rename(link, real)
            os.symlink(outside, link)
            time.sleep(0.0005)  # hold each state long enough for a copy to walk into it
            os.unlink(link)
            os.rename(real, link)
            time.sleep(0.0005)

    swapper = threading.Thread(target=swap)
    swapper.start()
    leaked = refused = raw = 0
    try:
        for attempt in range(80):
            dest = tmp_path / f"copy{attempt}"
            try:
                copy_tree(root, listing, dest, Limits())
            except ExtError:
                refused += 1
            except OSError:  # an uncoded failure (the code before the fix had many)
                raw += 1
            if dest.exists():
                leaked += sum("SECRET" in p.read_text() for p in dest.rglob("*.txt"))
    finally:
        stop.set()
        swapper.join(timeout=10)
    assert leaked == 0 and raw == 0, f"{leaked} outside files copied in ({refused} refused, {raw} uncoded errors)"
