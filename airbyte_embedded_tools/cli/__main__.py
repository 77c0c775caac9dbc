"""``python -m airbyte_embedded_tools.cli``: the same as the ``airbyte-embedded`` console script."""

from __future__ import annotations

from . import main

raise SystemExit(main())
