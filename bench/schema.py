"""JSON schema of the workflow config, generated from the profile dataclasses (one source of truth).

Every key gets its type, default and a description; every object rejects unknown keys. The committed
``workflow/schemas/config.schema.yaml`` is this output (``python -m bench schema --out …``; a test keeps them equal).
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import textwrap
import types
import typing

from .config import ConfigError, FolderName, Identifier, to_dict

def field_docs(cls) -> dict[str, str]:
    """The description of every field of a config dataclass: the string literal right below the field (an
    attribute docstring, as Sphinx reads them), so each description lives beside its field."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body
    docs = {}
    for item, after in zip(body, body[1:]):
        if isinstance(item, ast.AnnAssign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) \
                and isinstance(after.value.value, str):
            docs[item.target.id] = " ".join(after.value.value.split())
    return docs
_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def type_schema(hint) -> dict:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:  # bench.config.Rule: the same bounds from_dict checks
        schema = type_schema(args[0])
        for rule in hint.__metadata__:
            schema.update(rule.schema())
        return schema
    if origin in (typing.Union, types.UnionType):
        options = [type_schema(a) for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if type(None) in args:
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1])}
    if dataclasses.is_dataclass(hint):
        return object_schema(hint)
    if hint is typing.Any:
        return {}
    return {"type": _SCALARS[hint]}


def object_schema(cls) -> dict:
    hints, docs = typing.get_type_hints(cls, include_extras=True), field_docs(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        if f.name not in docs:
            raise KeyError(f"config key {cls.__name__}.{f.name} has no description (a string literal below the field)")
        prop = {**type_schema(hints[f.name]), "description": docs[f.name]}
        if f.default is not dataclasses.MISSING:
            prop["default"] = to_dict(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            prop["default"] = to_dict(f.default_factory())
        else:
            required.append(f.name)
        props[f.name] = prop
    schema = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        schema["required"] = required
    return schema


@functools.cache
def config_schema(root) -> dict:
    """The JSON schema of a config whose root is the dataclass ``root`` (``bench.profile.Profile``: passed in, so this
    module needs no profile and the profile may validate with it)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "classsr-bench workflow profile (generated from bench.profile by `python -m bench "
                           "schema`; do not edit by hand)", **object_schema(root)}


def check_config(config: dict, root) -> None:
    """Validate a workflow config against :func:`config_schema` of ``root``; the first error becomes one ConfigError line
    naming the dotted key, the problem and the key's description (Snakemake's own validation would print the
    whole schema after the message)."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(config_schema(root)).iter_errors(config),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    e = jsonschema.exceptions.best_match(errors)
    key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in e.absolute_path).replace(".[", "[")
    described = e.schema.get("description") if isinstance(e.schema, dict) else None
    more = f" ({len(errors) - 1} more problem(s) after fixing it)" if len(errors) > 1 else ""
    raise ConfigError(f"config key {key or '(top level)'}: {_message(e)}"
                      + (f" — {described}" if described else "") + more)


def _message(e) -> str:
    """jsonschema's message, in bench.config.Rule's words where a Rule set the bound (one wording for both)."""
    if e.validator == "minimum":
        return f"must be ≥ {e.validator_value:g}, got {e.instance!r}"
    if e.validator == "exclusiveMinimum":
        return f"must be > {e.validator_value:g}, got {e.instance!r}"
    if e.validator == "pattern":
        whats = {f"^{r.pattern}$": r.what for r in (Identifier.__metadata__[0], FolderName.__metadata__[0])}
        return f"{e.instance!r} is not {whats.get(e.validator_value, 'of the form ' + e.validator_value)}"
    return e.message
