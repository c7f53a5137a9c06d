"""``modgate studio``: a local web app over the same library the CLI uses (task 257).

One shell: a mode-specific authoring region (light or heavy lane), the shared transaction
surface and the global safety header. Server-rendered pages with a little plain JavaScript;
nothing is loaded from the network. See docs/studio.md.
"""
