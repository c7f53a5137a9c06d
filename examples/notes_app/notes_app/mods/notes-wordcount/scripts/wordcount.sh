#!/bin/sh
# A hook handler: reads the event envelope (JSON) on stdin and answers with a word count.
words=$(wc -w | tr -d ' ')
printf '{"ok": true, "message": "%s words in the event"}\n' "$words"
