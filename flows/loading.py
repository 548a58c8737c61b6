"""Load flow and criteria files (TOML) into model values, or say exactly what is wrong.

Every error names the file and the field path, e.g.
`cdht-2023.toml: groups[2].indicators[4].options[1].points: must be an integer 0..10`.
"""

import tomllib
from pathlib import Path
from typing import Any

from .model import (ANSWER_TYPES, COMPLETE, END, Competence, CriteriaSet, Flow, Indicator,
                    Option, PassRule, Step, TargetGroup)
from .readers.normalize import strip_diacritics

HERE = Path(__file__).parent
FLOWS_DIR = HERE / "definitions"
CRITERIA_DIR = HERE / "criteria"
INDICATORS_PER_GROUP = 10
MAX_POINTS = 10


class DefinitionError(ValueError):
    pass


class _Reader:
    """Typed access to a TOML table that knows where it is in the file."""

    def __init__(self, source: str, data: dict, where: str = ""):
        self.source, self.data, self.where = source, data, where

    def fail(self, key: str, message: str):
        path = f"{self.where}.{key}" if self.where else key
        raise DefinitionError(f"{self.source}: {path}: {message}")

    def get(self, key: str, kind: type | tuple, default: Any = ...):
        if key not in self.data:
            if default is ...:
                self.fail(key, "is required")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.fail(key, f"must be {names}, got {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value is not default and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def tables(self, key: str, default: Any = ...) -> list["_Reader"]:
        items = self.get(key, list, default)
        if items is default:
            return []
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.fail(f"{key}[{i}]", "must be a table")
            out.append(_Reader(self.source, item, f"{self.where + '.' if self.where else ''}{key}[{i}]"))
        return out

    def only(self, *allowed: str) -> "_Reader":
        """Refuse keys the format does not know: a misspelt "questin_sms" must not pass."""
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            self.fail(unknown[0], f"unknown field (known here: {', '.join(allowed)})")
        return self

    def sms_text(self, key: str, fallback: str) -> str:
        """The SMS form: given explicitly, or the Zalo form without diacritics."""
        return self.text(key) if key in self.data else strip_diacritics(fallback)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid TOML: {exc}") from exc


def _option(r: _Reader, scored: bool) -> Option:
    r.only("label", "sms", "value", "points", "means", "aliases")
    label = r.text("label")
    points = r.get("points", int, None)
    if scored and (points is None or not 0 <= points <= MAX_POINTS):
        r.fail("points", f"must be an integer 0..{MAX_POINTS}")
    means = r.get("means", str, None)
    if means not in (None, "yes", "no"):
        r.fail("means", 'must be "yes" or "no"')
    aliases = r.get("aliases", list, [])
    if not all(isinstance(a, str) for a in aliases):
        r.fail("aliases", "must be a list of strings")
    return Option(label=label, sms=r.sms_text("sms", label), value=r.get("value", str, ""),
                  points=points, means=means, aliases=tuple(aliases))


def _options(r: _Reader, scales: dict[str, tuple[Option, ...]], scored: bool) -> tuple[Option, ...]:
    if "scale" in r.data:
        name = r.text("scale")
        if name not in scales:
            r.fail("scale", f"unknown scale {name!r} (known: {', '.join(sorted(scales)) or 'none'})")
        return scales[name]
    options = tuple(_option(o, scored) for o in r.tables("options"))
    if len(options) < 2:
        r.fail("options", "needs at least 2 options (or a scale)")
    return options


def load_criteria(path: Path) -> CriteriaSet:
    r = _Reader(path.name, _read_toml(path)).only(
        "id", "version", "title", "status", "source", "pass_rule", "scales", "competences", "groups")
    scales = {}
    for name, table in r.get("scales", dict, {}).items():
        scale = _Reader(path.name, table, f"scales.{name}").only("options")
        scales[name] = tuple(_option(o, True) for o in scale.tables("options"))
    competences = tuple(Competence(c.text("id"), c.text("name"), c.sms_text("sms", c.text("name")))
                        for c in (c.only("id", "name", "sms") for c in r.tables("competences")))
    known = {c.id for c in competences}
    groups = []
    for g in r.tables("groups"):
        g.only("id", "name", "sms", "pupils", "indicators")
        indicators = []
        for ind in g.tables("indicators"):
            ind.only("id", "competence", "short", "short_sms", "question", "question_sms",
                     "scale", "options")
            if ind.text("competence") not in known:
                ind.fail("competence", f"unknown competence (known: {', '.join(sorted(known))})")
            options = _options(ind, scales, scored=True)
            if max(o.points for o in options) != MAX_POINTS:
                ind.fail("options", f"the best option must give {MAX_POINTS} points")
            short = ind.text("short")
            question = ind.text("question")
            indicators.append(Indicator(
                id=ind.text("id"), competence=ind.data["competence"], short=short,
                short_sms=ind.sms_text("short_sms", short), question=question,
                question_sms=ind.sms_text("question_sms", question), options=options))
        if len(indicators) != INDICATORS_PER_GROUP:
            g.fail("indicators", f"has {len(indicators)} indicators, needs {INDICATORS_PER_GROUP}")
        if len({i.id for i in indicators}) != len(indicators):
            g.fail("indicators", "indicator ids must be unique within a group")
        name = g.text("name")
        groups.append(TargetGroup(id=g.text("id"), name=name, sms=g.sms_text("sms", name),
                                  indicators=tuple(indicators), pupils=g.get("pupils", bool, False)))
    if not groups:
        r.fail("groups", "needs at least one target group")
    rule = _Reader(path.name, r.get("pass_rule", dict, {}), "pass_rule").only("min_total", "min_each")
    status = r.text("status")
    if status not in ("draft", "official"):
        r.fail("status", 'must be "draft" or "official"')
    return CriteriaSet(
        id=r.text("id"), version=r.text("version"), title=r.text("title"), status=status,
        source=r.text("source"),
        pass_rule=PassRule(rule.get("min_total", int, 80), rule.get("min_each", int, 5)),
        competences=competences, groups=tuple(groups))


def load_flow(path: Path) -> Flow:
    r = _Reader(path.name, _read_toml(path)).only("id", "steps")
    steps = []
    for s in r.tables("steps"):
        s.only("id", "type", "ask", "store", "options", "options_from", "low", "high", "next",
               "say", "skip_if_known", "optional")
        kind = s.text("type")
        if kind not in ANSWER_TYPES:
            s.fail("type", f"unknown answer type {kind!r} (known: {', '.join(ANSWER_TYPES)})")
        nxt = s.get("next", (str, dict), None)
        steps.append(Step(
            id=s.text("id"), type=kind, ask=s.text("ask"), store=s.get("store", str, None),
            options=tuple(_option(o, False) for o in s.tables("options", [])),
            options_from=s.get("options_from", str, None), low=s.get("low", int, None),
            high=s.get("high", int, None), next=nxt, say=s.get("say", dict, {}),
            skip_if_known=s.get("skip_if_known", str, None),
            optional=s.get("optional", bool, False)))
    ids = {s.id for s in steps}
    for i, step in enumerate(steps):
        targets = step.next.values() if isinstance(step.next, dict) else [step.next]
        for target in targets:
            if target is not None and target not in ids | {COMPLETE, END}:
                r.fail(f"steps[{i}].next", f"points to unknown step {target!r}")
    if not steps:
        r.fail("steps", "needs at least one step")
    return Flow(id=r.text("id"), steps=tuple(steps))


def load_all_criteria(directory: Path = CRITERIA_DIR) -> dict[tuple[str, str], CriteriaSet]:
    sets = {}
    for path in sorted(directory.glob("*.toml")):
        cs = load_criteria(path)
        if (cs.id, cs.version) in sets:
            raise DefinitionError(f"{path.name}: id: {cs.id} {cs.version} is defined twice")
        sets[(cs.id, cs.version)] = cs
    return sets
