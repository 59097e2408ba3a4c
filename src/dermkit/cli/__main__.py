"""``python -m dermkit.cli``: the same as the ``dermkit`` command."""

from dermkit.cli import main

main()
