"""Reproducible volunteer files from a seeded recipe (``volunteers.generate`` in a config).

A config may name a CSV that is not committed and say how to make it::

    volunteers:
      csv: generated/shanghai-station.csv
      generate:
        seed: 20200129
        count: 300
        orgs: 63                      # or a list of names
        public_share: 0.34            # recruited from the public: org `public`, no team
        team_size: 5
        skills: {driver: 0.08, medical: 0.1}
        bundles: [{p: 0.1, all: [interpreter], one_of: [lang-en, lang-ja]}]
        home: {near: sites, radius_km: 3}
        night_ok: 0.7

``write_generated(config, path)`` writes the CSV: the same recipe (seed
included) always gives byte-identical output, whatever the machine. Only
``random.Random(seed)`` is used, in a fixed order, and numbers are written
with fixed precision. Rows are plain dicts (no pydantic per row), so 150,000
volunteers take a few seconds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scheduler.errors import ConfigError, Problem
from scheduler.generate_recipe import (
    Bundle,
    DayWindows,
    Home,
    Prefers,
    Recipe,
    WeeklyCap,
    parse_recipe,
    with_count,
)
from scheduler.generate_rows import COLUMNS, GIVEN, KM_PER_DEG_LAT, SURNAMES, generate_rows
from scheduler.models import Config

__all__ = [
    "COLUMNS",
    "GENERATOR_VERSION",
    "GIVEN",
    "KM_PER_DEG_LAT",
    "SURNAMES",
    "Bundle",
    "DayWindows",
    "Home",
    "Prefers",
    "Recipe",
    "WeeklyCap",
    "fingerprint",
    "generate_rows",
    "is_current",
    "is_own",
    "parse_recipe",
    "rows_to_csv",
    "write_generated",
]

GENERATOR_VERSION = 2  # bump when the same recipe would give different rows


def rows_to_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """CSV bytes with a fixed header and LF line ends (identical on every platform)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def fingerprint(config: Config, data: dict[str, Any]) -> str:
    """What the CSV depends on: the recipe, the sites, the horizon and this generator."""
    blob = json.dumps(
        {
            "generator": GENERATOR_VERSION,
            "recipe": data,
            "horizon": config.horizon.model_dump(mode="json"),
            "sites": [s.model_dump(mode="json") for s in config.sites],
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.recipe-sha256")


def is_current(config: Config, csv_path: Path | str) -> bool:
    """True when ``csv_path`` exists and was written from this config's recipe as it is now."""
    path = Path(csv_path)
    data = config.volunteers.generate
    if data is None or not path.exists():
        return path.exists()
    stamp = _read_stamp(path)
    return stamp is not None and stamp[0] == fingerprint(config, data)


def is_own(csv_path: Path | str) -> bool:
    """True when ``csv_path`` exists and is not a file this generator wrote, untouched
    since: no stamp beside it, or its content changed after the stamp. Loading never
    overwrites such a file (someone's own list, or a generated one edited by hand)."""
    path = Path(csv_path)
    if not path.exists():
        return False
    stamp = _read_stamp(path)
    if stamp is None:
        return True
    return stamp[1] is not None and stamp[1] != _content_sha(path.read_bytes())


def _read_stamp(path: Path) -> tuple[str, str | None] | None:
    """(recipe fingerprint, content sha-256) from the stamp beside ``path``, if any (the
    stamps of generator version 2 hold no content sha: None)."""
    try:
        fields = _stamp_path(path).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    if not 1 <= len(fields) <= 2:
        return None
    return fields[0], fields[1] if len(fields) == 2 else None


def _content_sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a generated file is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)  # concurrent loaders of the same config never see half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_generated(config: Config, csv_path: Path | str, *, count: int | None = None) -> Path:
    """Write the CSV of ``config.volunteers.generate`` to ``csv_path`` (atomically).

    ``count`` overrides the recipe's size (tests, scaling runs; pools scale in proportion).
    A stamp file next to the CSV records the recipe it came from (see :func:`is_current`).
    Raises ConfigError when the config has no recipe or the recipe is invalid.
    """
    path = Path(csv_path)
    data = config.volunteers.generate
    if data is None:
        raise ConfigError(
            [Problem(str(path), "volunteers.generate", "the config has no `generate` recipe")]
        )
    recipe = parse_recipe(data, str(path))  # errors name the recipe as written
    if count is not None:
        data = with_count(data, count)
        recipe = parse_recipe(data, str(path))
    payload = rows_to_csv(generate_rows(config, recipe))
    _atomic_write(path, payload)
    if count is None:
        stamp = f"{fingerprint(config, data)} {_content_sha(payload)}\n"
        _atomic_write(_stamp_path(path), stamp.encode("ascii"))
    else:
        _stamp_path(path).unlink(missing_ok=True)  # a resized file is never "current"
    return path
