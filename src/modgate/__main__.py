"""``python -m modgate`` runs the CLI."""

from modgate.cli import main

if __name__ == "__main__":
    main()
