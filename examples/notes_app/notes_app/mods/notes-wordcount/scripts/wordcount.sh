#!/bin/sh
# A hook handler: the event envelope (JSON) arrives on stdin; the answer is one JSON object on
# stdout. This one counts the words of the envelope and shows the count in the mods bar.
words=$(wc -w | tr -d ' ')
printf '{"ok": true, "log": "%s words", "modsBar": {"title": "Word count", "markdown": "%s words in the last event"}}\n' "$words" "$words"
