"""``python -m medtrust``."""

from medtrust.cli import main

main()
