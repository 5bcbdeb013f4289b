"""Compile the gettext catalogues (.po → .mo) with polib, so a fresh machine needs no
GNU gettext.  Run as ``python -m zhaoshang.core.compilemessages``."""

from __future__ import annotations

from pathlib import Path

import polib  # type: ignore[import-untyped]

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def main() -> int:
    count = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        count += 1
    print(f"compiled {count} message catalogue(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
