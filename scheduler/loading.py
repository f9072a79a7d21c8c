"""Load a demand config from YAML, with its volunteers from CSV and/or inline.

``load_plan(path)`` returns a :class:`~scheduler.models.Plan` or raises
:class:`~scheduler.errors.ConfigError` listing every problem (file, line,
field path, message). Nothing here writes anything.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scheduler.errors import (
    ConfigError,
    Loc,
    Problem,
    errors_only,
    format_path,
    problems_from_validation,
)
from scheduler.models import LOCATION_PAIR, Config, Plan, Volunteer, VolunteerSource, half_location
from scheduler.validation import check_plan
from scheduler.validation_raw import raw_cross_references, raw_id

# CSV columns that hold a number or a boolean: empty cells mean "not given".
_VOLUNTEER_FIELDS = set(Volunteer.model_fields)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~4x faster


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, except that an impossible date (``2020-02-30``) stays a string.

    PyYAML raises a bare ValueError for those while constructing; as a string the field's
    own validation reports it with its path and line.
    """


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _mapping_without_repeats(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    """A mapping whose keys are all different: YAML would silently keep the last of two
    ``rules:`` blocks, dropping the first (merge keys ``<<`` may still override)."""
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            continue  # unhashable: left to the constructor (and to validation)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"duplicate key {key!r} (first on line {seen[key].start_mark.line + 1})",
                key_node.start_mark,
            )  # fmt: skip
        seen[key] = key_node
    return yaml.constructor.SafeConstructor.construct_yaml_map(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping_without_repeats)


def _line_finder(text: str) -> Callable[[Loc], int | None]:
    """Map a field path to the 1-based line of the deepest YAML node on it.

    The node tree is composed only when a problem needs a line number.
    """
    composed: list[yaml.Node | None] = []

    def find(loc: Loc) -> int | None:
        if not composed:
            composed.append(yaml.compose(text, Loader=_Loader))
        cur = composed[0]
        line = cur.start_mark.line + 1 if cur is not None else None
        for part in loc:
            nxt = None
            if isinstance(cur, yaml.MappingNode) and isinstance(part, str):
                for key, value in cur.value:
                    if (
                        getattr(key, "value", None) == part
                        or (part == "start" and key.value == "from")
                        or (part == "end" and key.value == "to")
                    ):
                        nxt = value
                        line = key.start_mark.line + 1
                        break
            elif (
                isinstance(cur, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(cur.value)
            ):
                nxt = cur.value[part]
                line = nxt.start_mark.line + 1
            if nxt is None:
                break
            cur = nxt
        return line

    return find


Parsed = tuple[Any, Callable[[Loc], int | None]]
"""A config's YAML as :func:`read_yaml` returns it: the data and its line finder."""


def read_yaml(path: Path) -> Parsed:
    """Parse a YAML file; problems are raised as a ConfigError."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, "(file)", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, "(file)", f"cannot read: {exc}")]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [Problem(name, "(syntax)", f"YAML syntax error: {problem}", line)]
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own error
        raise ConfigError([Problem(name, "(syntax)", f"unreadable YAML value: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([Problem(name, "(top level)", "expected a mapping of fields")])
    return data, _line_finder(text)


_LINE_BREAK = "a line break inside a quoted cell (a quote left open?): rows are one line each"


def _csv_rows(path: Path, shown: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], [Problem(shown, "volunteers.csv", "no such file")]
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return [], [Problem(shown, "volunteers.csv", f"not UTF-8 text: {exc.reason}", line)]
    except OSError as exc:
        return [], [Problem(shown, "volunteers.csv", f"cannot read: {exc.strerror or exc}")]
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh, strict=True)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        if "id" not in header:
            problems.append(Problem(shown, "(header)", "the CSV has no `id` column", 1))
        unknown = [h for h in header if h not in _VOLUNTEER_FIELDS]
        for h in unknown:
            problems.append(Problem(shown, f"(header).{h}", "unknown column (misspelt?)", 1))
        for h in sorted({h for h in header if header.count(h) > 1}):
            problems.append(Problem(shown, f"(header).{h}", "column given more than once", 1))
        if problems:
            return [], problems
        end = reader.line_num
        while True:
            line = end + 1  # the row's first line (a quoted cell may span lines)
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # strict: e.g. a quote left open up to the file's end
                problems.append(Problem(shown, f"row {line}", f"unreadable CSV: {exc}", line))
                break
            end = reader.line_num
            if None in row:
                problems.append(
                    Problem(shown, f"row {line}", "more cells than header columns", line)
                )
                continue
            cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip() != ""}
            broken = [k for k, v in cells.items() if "\n" in v or "\r" in v]
            for k in broken:
                problems.append(Problem(shown, f"row {line}.{k}", _LINE_BREAK, line))
            if cells and not broken:  # a row of empty cells (",,,,") is a blank line
                rows.append((line, cells))
    return rows, problems


def load_volunteers(
    config: Config, base: Path, file: str, line_of: Callable[[Loc], int | None]
) -> tuple[list[Volunteer], list[Problem]]:
    """Volunteers from ``volunteers.csv`` (relative to the config) and ``volunteers.people``."""
    return _load_people(config.volunteers, base, file, line_of, config)


def _with_location_pair(
    problems: list[Problem], raw: Any, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    """``problems`` of one volunteer that did not validate, plus the missing half of
    ``lat``/``lon`` when a field error kept pydantic from checking it (QA: it was named
    only on the next run, once the field error was fixed)."""
    if not half_location(raw) or any(p.message == LOCATION_PAIR for p in problems):
        return problems
    file, line = (problems[0].file, problems[0].line) if problems else ("", None)
    return [*problems, Problem(file, format_path(prefix), LOCATION_PAIR, line)]


def _load_people(
    src: VolunteerSource,
    base: Path,
    file: str,
    line_of: Callable[[Loc], int | None],
    config: Config | None,
) -> tuple[list[Volunteer], list[Problem]]:
    """The volunteers of ``src``; a generate recipe writes a missing CSV only given ``config``."""
    out: list[Volunteer] = []
    problems: list[Problem] = []
    failed_csv: list[str] = []  # ids of CSV rows that did not validate
    failed_people: list[str] = []  # ids of inline entries that did not validate
    if src.csv:
        csv_path = (base / src.csv).resolve() if not Path(src.csv).is_absolute() else Path(src.csv)
        shown = str(base / src.csv) if not Path(src.csv).is_absolute() else src.csv
        if src.generate is not None:
            from scheduler.generate import is_current, is_own, write_generated  # recipes only

            if is_own(csv_path):
                where = line_of(("volunteers", "generate"))
                problems.append(Problem(
                    file, "volunteers.generate",
                    f"{shown} was not written from this recipe or was edited since: used as"
                    " it is, not generated (delete it to generate it again)", where, "warning",
                ))  # fmt: skip
            elif config is None:
                if not csv_path.exists():  # to be generated once the config is valid
                    src = src.model_copy(update={"csv": None})
            elif not is_current(config, csv_path):  # missing, or the recipe/sites changed
                write_generated(config, csv_path)
    if src.csv and not csv_path.exists():
        where = line_of(("volunteers", "csv"))
        problems.append(Problem(file, "volunteers.csv", f"no such file: {csv_path}", where))
    elif src.csv:
        rows, read_problems = _csv_rows(csv_path, shown)
        problems += read_problems
        for line, row in rows:
            try:
                out.append(Volunteer.model_validate(row))
            except ValidationError as err:
                label = f"row {line}" + (f" (id {row['id']})" if "id" in row else "")
                for p in _with_location_pair(problems_from_validation(err, shown), row):
                    problems.append(Problem(shown, f"{label}.{p.path}", p.message, line))
                if str(row.get("id") or "").strip():
                    failed_csv.append(str(row["id"]).strip())
    for i, person in enumerate(src.people):
        try:
            out.append(Volunteer.model_validate(person))
        except ValidationError as err:
            loc = ("volunteers", "people", i)
            problems.extend(
                _with_location_pair(problems_from_validation(err, file, loc, line_of), person, loc)
            )
            if (vid := raw_id(person)) is not None:
                failed_people.append(vid)
    # duplicates among valid entries (and invalid inline ones) are check_plan's to name;
    # here those that only a CSV row which did not validate makes
    seen = Counter([v.id for v in out] + failed_people)
    for vid, n in Counter(failed_csv).items():
        if seen[vid] < 2 and seen[vid] + n > 1:
            where = line_of(("volunteers", "csv"))
            text = f"duplicate volunteer id {vid!r} ({seen[vid] + n} times)"
            problems.append(Problem(file, "volunteers", text, where))
    return out, problems


def parse_config(
    data: dict[str, Any],
    file: str,
    line_of: Callable[[Loc], int | None],
    base: Path | None = None,
) -> Config:
    """The validated config; otherwise a ConfigError with every problem found.

    Given ``base`` (the config's folder), an invalid config still has its volunteers
    loaded and its cross-references checked on the raw YAML, so one run names them all.
    """
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        problems = problems_from_validation(err, file, (), line_of)
    if base is not None:
        reported = {p.path for p in problems}
        problems += [p for p in _salvage(data, base, file, line_of) if p.path not in reported]
    raise ConfigError(problems)


def _salvage(
    data: dict[str, Any], base: Path, file: str, line_of: Callable[[Loc], int | None]
) -> list[Problem]:
    """Volunteer and cross-reference problems of a config that did not validate."""
    volunteers: list[Volunteer] = []
    problems: list[Problem] = []
    try:
        src = VolunteerSource.model_validate(data.get("volunteers") or {})
    except ValidationError:
        src = None  # already reported
    if src is not None:
        volunteers, problems = _load_people(src, base, file, line_of, None)
    return problems + raw_cross_references(data, volunteers, file, line_of)


def load_plan(
    path: str | Path,
    *,
    with_warnings: list[Problem] | None = None,
    parsed: Parsed | None = None,
) -> Plan:
    """Load and validate a config; raise ConfigError listing every error.

    Warnings (e.g. a required skill no volunteer holds) are appended to
    ``with_warnings`` when given. ``parsed``: what ``read_yaml(path)`` returned, when the
    caller has read it already.
    """
    path = Path(path)
    file = str(path)
    data, line_of = parsed if parsed is not None else read_yaml(path)
    config = parse_config(data, file, line_of, path.parent)
    volunteers, problems = load_volunteers(config, path.parent, file, line_of)
    plan = Plan(config=config, volunteers=tuple(volunteers), source=file)
    problems += check_plan(plan, line_of)
    errors = errors_only(problems)
    if errors:
        raise ConfigError(errors)
    if with_warnings is not None:
        with_warnings.extend(p for p in problems if p.severity == "warning")
    return plan


def plan_from_dict(data: dict[str, Any], file: str = "<memory>") -> Plan:
    """Build and validate a plan from an in-memory config (tests, importers, events)."""
    config = parse_config(data, file, lambda loc: None)
    volunteers, problems = load_volunteers(config, Path("."), file, lambda loc: None)
    plan = Plan(config=config, volunteers=tuple(volunteers), source=file)
    errors = errors_only(problems + check_plan(plan, lambda loc: None))
    if errors:
        raise ConfigError(errors)
    return plan
