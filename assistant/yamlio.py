"""Safe YAML reading for every file a user can hand us.

Refuses files that are too large, not UTF-8, with duplicate keys, or that use anchors and aliases
(the only way a small YAML file grows into a huge document), with the file and position named. Nesting
too deep to parse, numbers too long to convert and mapping keys that are not plain values are refused
the same way, never with a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

MAX_BYTES = 20 * 1024 * 1024


class YamlLoadError(Exception):
    """A YAML file could not be read; ``path`` is where in the document, ``reason`` what to do."""

    def __init__(self, file: Path, reason: str, path: str = ""):
        self.file = file
        self.reason = reason
        self.path = path
        where = f"{file}:{path}" if path else str(file)
        super().__init__(f"{where}: {reason}")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and aliases."""


def _compose_node(self: _StrictLoader, parent: Any, index: Any) -> Any:
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()  # type: ignore[no-untyped-call]
        raise yaml.MarkedYAMLError(
            "while reading", None, "anchors and aliases (*name) are not allowed; write the value out", event.start_mark
        )
    return yaml.SafeLoader.compose_node(self, parent, index)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:  # a list or mapping used as a key (`? [a, b]`)
            raise yaml.MarkedYAMLError(
                "while reading a mapping", node.start_mark, "a key must be plain text or a number", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.MarkedYAMLError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}; keep only one", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # over Python's limit on digits for int(): a number nobody means
        raise yaml.MarkedYAMLError(
            "while reading a number", None, "the number has too many digits; shorten it or quote it as text", node.start_mark
        ) from None


_StrictLoader.compose_node = _compose_node  # type: ignore[method-assign,assignment]
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

TOO_DEEP = "nested too deeply to read; flatten the structure"


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 text file, refusing missing, oversized or non-UTF-8 files with a clear reason."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise YamlLoadError(path, "file not found; check the path") from None
    except OSError as exc:
        raise YamlLoadError(path, f"cannot read ({exc.strerror})") from None
    if path.is_dir():
        raise YamlLoadError(path, "is a directory; pass a file")
    if size > max_bytes:
        raise YamlLoadError(path, f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit; split or trim it")
    try:
        # Read at most one byte past the limit: a device or pipe reports size 0 but may never end.
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise YamlLoadError(path, f"cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise YamlLoadError(path, f"file is over the {max_bytes / 2**20:.0f} MB limit; split or trim it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlLoadError(path, f"not UTF-8 text (bad byte at offset {exc.start}); save the file as UTF-8") from None


def load_yaml_text(text: str, file: Path) -> Any:
    """Parse YAML text strictly; errors name the line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = str(exc.problem)
        if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
            problem = f"{problem}; tags (!!...) are not allowed, remove the tag"
        elif isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError):
            problem = f"{problem}; fix the syntax at that position"
        raise YamlLoadError(file, f"invalid YAML: {problem}", pos) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(file, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlLoadError(file, f"invalid YAML: {TOO_DEEP}") from None


def load_yaml_file(path: Path, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a YAML file with every safety check."""
    return load_yaml_text(read_text_file(path, max_bytes), path)


M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read a YAML file and validate it as ``model``; any problem is an :class:`~assistant.errors.InputError` naming
    the file (and the field, for a validation error)."""
    from assistant.errors import InputError

    try:
        return model.model_validate(load_yaml_file(path))
    except YamlLoadError as exc:
        raise InputError(str(exc)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(f"{path}: field {loc}: {err['msg']}") from None
