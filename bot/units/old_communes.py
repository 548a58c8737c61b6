"""The communes and wards as they were before 1 July 2025, and the 2025 communes each
went into, from the official tables the `vietnamadminunits` package ships offline.

The tables are read directly (an SQLite file and a JSON file in the package): importing
the package itself would load its address parser and geocoder, which we do not use, and
its converter picks a "default" commune for a split one, which we must never do.

Its 2025 codes are those of `vietnam-provinces` (which the demo tree uses) for all but
123 of the 3,321 communes; for those the tree's commune is found by its name, when that
name is the only one in the tree (a name two communes share maps nothing).
"""

import importlib.util
import json
import sqlite3
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from flows.units.directory import OldUnit
from flows.readers.normalize import fold

PACKAGE = "vietnamadminunits"


def _data_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)   # finds it without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, list[tuple], dict]:
    """(old→new conversion, old communes, new ward codes by (province key, ward key))."""
    data = _data_dir()
    conversion = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    with closing(sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)) as db:
        old = db.execute("SELECT provinceKey, districtKey, wardKey, province, district, ward "
                         "FROM admin_units_legacy WHERE wardKey IS NOT NULL").fetchall()
        new = {(p, w): (code, name) for p, w, code, name in
               db.execute("SELECT provinceKey, wardKey, wardCode, ward FROM admin_units")}
    return conversion, old, new


def old_units(communes: Mapping[str, tuple[str, str]]) -> list[OldUnit]:
    """Every pre-2025 commune that went into a commune of the tree, with the tree's unit
    codes it went into (several when it was split). `communes`: official code → (unit
    code, name) for the tree's communes and wards."""
    if not communes:
        return []
    conversion, old, new = _tables()
    provinces = {p for (p, _), (code, _) in new.items() if code in communes}
    by_name: dict[str, list[str]] = {}
    for code, name in communes.values():
        by_name.setdefault(fold(name), []).append(code)

    def unit_of(province: str, ward: str) -> str | None:
        code, name = new[(province, ward)]
        if code in communes:
            return communes[code][0]
        same = by_name.get(fold(name), [])
        return same[0] if len(same) == 1 else None

    went_to: dict[str, list[str | None]] = {}    # "tinhthaibinh_huyenvuthu_xahoabinh" → units
    for province in provinces:
        for ward, olds in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province, {}).items():
            for key in olds:
                went_to.setdefault(key, []).append(unit_of(province, ward))
        for key, parts in conversion["DICT_PROVINCE_WARD_DIVIDED"].get(province, {}).items():
            went_to.setdefault(key, []).extend(unit_of(province, p["newWardKey"]) for p in parts)
    found = []
    for p_key, d_key, w_key, province, district, ward in old:
        now = tuple(dict.fromkeys(u for u in went_to.get(f"{p_key}_{d_key}_{w_key}", []) if u))
        if now:
            found.append(OldUnit(ward, district, province, now))
    return found
