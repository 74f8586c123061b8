"""``python -m checks`` is the ``closeness`` command."""

from checks.cli import main

raise SystemExit(main())
