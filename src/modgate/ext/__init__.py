"""Extension packages: ``codex.mod.json`` + ``ui.mod.json``, sources, installer, scopes.

Pure core: :mod:`.manifest`, :mod:`.uimod`, :mod:`.cron`, :mod:`.sources`, :mod:`.theme`.
Shells: :mod:`.staging` (git, temp dirs), :mod:`.tree` (scan, copy, hash), :mod:`.records`
(SQLite), :mod:`.installer` (orchestration), :mod:`.diagnostics`.
"""
