"""Refuse to start when a package named like ours is imported from somewhere other than beside `bot`."""
from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

# Installed together with bot by the ward-faq distribution; generic names, so a folder or module named
# `index` in the working directory or on PYTHONPATH would otherwise be imported in their place.
SIBLINGS = ("index", "ward_faq_corpus")


def check_siblings() -> None:
    """Exit with a one-line error unless index and the corpus come from the same folder as bot."""
    home = Path(__file__).resolve().parent.parent
    for name in SIBLINGS:
        spec = find_spec(name)
        origin = Path(spec.origin).resolve() if spec and spec.has_location and spec.origin else None
        if origin is None or origin.name != "__init__.py" or origin.parent.parent != home:
            raise SystemExit(
                f"ward-faq: cannot start: the package {name!r} is imported from {origin or 'nowhere'}, "
                f"not from {home} beside 'bot'; something else named {name!r} shadows ours "
                "(look in the working directory and PYTHONPATH)"
            )
