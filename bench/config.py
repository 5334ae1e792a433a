"""Typed configuration: dataclasses built from nested dicts (YAML profiles), rejecting unknown keys by name.

``from_dict(cls, data)`` is the one boundary where user text becomes typed config: an unknown or misspelled key
is an error naming its dotted path (``train.stages.branch.iteratons``), a wrong type names the key and the value.
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import yaml


class ConfigError(ValueError):
    """A configuration key or value that cannot be accepted; the message names the dotted key."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """A bound on a config value, attached with ``Annotated``: checked by :func:`from_dict` and written into the
    workflow's JSON schema (``bench.schema``), so ``bench`` and Snakemake refuse the same values."""

    minimum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    pattern: str | None = None
    what: str = ""  # what a value matching ``pattern`` is, for the message

    def check(self, value, path: str) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{path}: must be ≥ {self.minimum:g}, got {value!r}")
        if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
            raise ConfigError(f"{path}: must be > {self.exclusive_minimum:g}, got {value!r}")
        if self.exclusive_maximum is not None and value >= self.exclusive_maximum:
            raise ConfigError(f"{path}: must be < {self.exclusive_maximum:g}, got {value!r}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise ConfigError(f"{path}: {value!r} is not {self.what}")

    def schema(self) -> dict:
        out = {"minimum": self.minimum, "exclusiveMinimum": self.exclusive_minimum,
               "exclusiveMaximum": self.exclusive_maximum,
               "pattern": f"^{self.pattern}$" if self.pattern else None}
        return {k: v for k, v in out.items() if v is not None}


PositiveInt = Annotated[int, Rule(minimum=1)]
Count = Annotated[int, Rule(minimum=0)]
PositiveFloat = Annotated[float, Rule(exclusive_minimum=0)]
NonNegativeFloat = Annotated[float, Rule(minimum=0)]
Fraction = Annotated[float, Rule(minimum=0, exclusive_maximum=1)]
#: Names that become folders and Snakemake wildcards: no '/', no '..', nothing hidden.
Identifier = Annotated[str, Rule(pattern=r"[A-Za-z0-9_]+", what="a plain name (letters, digits and _ only)")]
FolderName = Annotated[str, Rule(pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
                                 what="a plain folder name (letters, digits, _ . -; no '/', not starting with '.')")]


def from_dict(cls, data: dict | None, path: str = ""):
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping, got {type(data).__name__} {data!r}")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f" in {path}" if path else ""
        raise ConfigError(f"unknown config key{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(repr(_join(path, k)) for k in unknown)}{where}; known: {', '.join(fields)}")
    kwargs = {name: _convert(hints[name], value, _join(path, name)) for name, value in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: {e}" if path else str(e)) from None


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _convert(hint, value, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        value = _convert(args[0], value, path)
        for rule in hint.__metadata__:
            rule.check(value, path)
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(option, value, path)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{path}: {value!r} matches none of {options}")
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, path)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}: expected a list, got {value!r}")
        item = args[0] if args else Any
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        return {k: _convert(args[1], v, _join(path, k)) for k, v in value.items()}
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{path}: must be one of {list(args)}, got {value!r}")
        return value
    return _scalar(hint, value, path)


def _scalar(hint, value, path: str):
    if hint is Any:
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str) and _YAML12_FLOAT.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads "1e-4" as a string (see read_numbers)
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"{path}: expected {hint.__name__}, got {type(value).__name__} {value!r}")


def to_dict(obj) -> Any:
    """Plain, YAML-serialisable form of a config dataclass (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader refusing a key given twice in one mapping (PyYAML would keep the last, silently)."""


def _unique_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    first: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in first:
            raise ConfigError(f"key {key!r} appears twice (line {line}), first on line {first[key]}: YAML would "
                              "keep the last one silently; keep one")
        first[key] = line
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(path: str | Path) -> dict:
    """A profile or run file: a non-empty mapping without repeated keys."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a YAML config file")
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    try:
        data = yaml.load(path.read_text(), Loader=_StrictLoader)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    if data is None:  # an empty file would silently be the default profile, writing into results/default
        raise ConfigError(f"{path}: empty file: a profile needs at least its name (e.g. `name: my_profile`)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return data


_YAML12_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def read_numbers(hint, value):
    """``value`` with every string a float field holds read as the number it spells: YAML 1.1 (PyYAML, and so
    Snakemake's config) reads ``1e-4`` as a string, YAML 1.2 and people as a number; likewise ``true``/``false`` in
    a bool field and digits in an int field (Snakemake's nested ``--config`` values are all strings). Anything else
    is left for validation to judge. ``hint``: a config dataclass or a field type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        return read_numbers(args[0], value)
    if origin in (typing.Union, types.UnionType):
        for option in (a for a in args if a is not type(None)):
            read = read_numbers(option, value)
            if read is not value:
                return read
        return value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints = typing.get_type_hints(hint, include_extras=True)
        return {k: read_numbers(hints[k], v) if k in hints else v for k, v in value.items()}
    if origin is tuple and isinstance(value, list):
        return [read_numbers(args[0] if args else Any, v) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: read_numbers(args[1], v) for k, v in value.items()}
    if hint is float and isinstance(value, str) and _YAML12_FLOAT.fullmatch(value.strip()):
        return float(value)
    # Snakemake reads a nested --config value (fetch='{download: true}') with YAML's BaseLoader: every scalar a string
    if hint is bool and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if hint is int and isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        return int(value)
    return value


def nested(dotted: dict[str, Any]) -> dict:
    """``{"a.b.c": v}`` → ``{"a": {"b": {"c": v}}}`` (the form of ``--set`` and ablation overrides)."""
    out: dict = {}
    for key, value in dotted.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{key}: {part} is set both as a value and as a section")
        node[leaf] = value
    return out


def merge(base: dict, override: dict) -> dict:
    """Recursive dict merge; ``override`` wins."""
    out = dict(base)
    for k, v in override.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
