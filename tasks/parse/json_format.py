"""JSON documents of any nesting -> metric rows, one record per object that holds measurements.

In: the decoded text of a JSON file (a UTF-8 BOM is fine). Out: records in a `MetricSink`.
The root object is a record located "/"; each object in an array ("results", "runs", "models")
and each member of a keyed collection (an object whose members are all objects, e.g.
"backends": {"eager": {...}, "jit": {...}}) is its own record, located by its JSON pointer
("/results/0", "/backends/eager"). A record's numeric leaves are its metrics, named by their
path within the record ("benchmark.mean_time_ms"); booleans never are. Dimensions (model,
options, success, error, timestamp...) found in a record, or in its ancestors, apply to it.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from tasks.parse import dimensions as dim
from tasks.parse.records import MetricSink, ParseError
from tasks.parse.tools.base import Document
from tasks.parse.vocabulary import is_statistic_key, normalise_key, resolve_metric

# Objects that describe the setup (the model's shape, the machine, run settings), not results.
_DESCRIPTIVE_SECTIONS = frozenset(
    normalise_key(n)
    for n in (
        "model",
        "environment",
        "env",
        "settings",
        "config",
        "configuration",
        "options",
        "parameters",
        "params",
        "metadata",
        "system_info",
        "hardware",
        "args",
    )
)
# The dimension a keyed collection's member name fills; other collections fill `config`.
_MEMBER_DIMENSION = {
    normalise_key("backends"): "backend",
    normalise_key("models"): "model",
    normalise_key("configs"): "config",
    normalise_key("configurations"): "config",
}
_ROOT_LOCATOR = "/"


def parse_json(text: str, sink: MetricSink, document: Document | None = None) -> None:
    """Add the document's records and metric values to the sink; ParseError when invalid.
    JSON Lines (one object per line) are read as a list of records located "line N".
    `document`: the text already decoded by the tool readers' detection, if it was."""
    decoded = document.json if document is not None else None
    if decoded is None:
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError as error:
            lines = (document or Document(text, "json")).json_lines
            if lines is None:
                raise ParseError(
                    f"invalid JSON: line {error.lineno} column {error.colno}: {error.msg}"
                ) from error
            for number, line in enumerate(lines, start=1):
                _visit_line(line, f"line {number}", sink)
            return
        except RecursionError as error:
            raise ParseError("invalid JSON: nested too deeply to read") from error
    try:
        _visit(decoded, "", {}, sink)
    except RecursionError as error:
        raise ParseError("JSON nested too deeply to walk") from error


def _visit_line(record: dict[str, Any], locator: str, sink: MetricSink) -> None:
    try:
        _add_record(record, locator, {}, sink)
    except RecursionError as error:
        raise ParseError(f"JSON nested too deeply to walk ({locator})") from error


def _pointer(base: str, segment: str | int) -> str:
    return f"{base}/{str(segment).replace('~', '~0').replace('/', '~1')}"


def _is_keyed_collection(node: dict[str, Any]) -> bool:
    """{"eager": {...}, "jit": {...}}: named members that are records, not a setup section,
    nor metrics each with its statistics ({"ttft_ms": {"p50": 120, "p90": 180}}: the metrics
    of one record, not records named "ttft_ms" measuring a "p50")."""
    return (
        bool(node)
        and all(
            isinstance(value, dict) and normalise_key(key) not in _DESCRIPTIVE_SECTIONS
            for key, value in node.items()
        )
        and not all(_is_statistics(value) for value in node.values())
    )


def _is_statistics(member: dict[str, Any]) -> bool:
    return bool(member) and all(
        is_statistic_key(key) and _is_number(value) for key, value in member.items()
    )


def _visit(node: Any, pointer: str, inherited: dict[str, Any], sink: MetricSink) -> None:
    if isinstance(node, dict):
        if _is_keyed_collection(node):
            _visit_members(node, pointer, inherited, sink)
        else:
            _add_record(node, pointer, inherited, sink)
    elif isinstance(node, list):
        numbers = {str(i): item for i, item in enumerate(node) if _is_number(item)}
        if numbers:
            _add_record(numbers, pointer, inherited, sink)
        for index, item in enumerate(node):
            if isinstance(item, dict | list):
                _visit(item, _pointer(pointer, index), inherited, sink)


def _visit_members(
    collection: dict[str, Any], pointer: str, inherited: dict[str, Any], sink: MetricSink
) -> None:
    name = pointer.rpartition("/")[2]
    dimension = _MEMBER_DIMENSION.get(normalise_key(name), "config")
    for key, member in collection.items():
        member_dims = dict(inherited)
        value = dim.decode_dimension(dimension, key)
        if value is not None:
            member_dims[dimension] = value
        _visit(member, _pointer(pointer, key), member_dims, sink)


def _is_number(value: Any) -> bool:
    kind = type(value)  # exact types: a bool is an int subclass but never a measurement
    return (kind is float and math.isfinite(value)) or kind is int


def _add_record(
    record: dict[str, Any], pointer: str, inherited: dict[str, Any], sink: MetricSink
) -> None:
    dims = {**inherited, **_own_dimensions(record)}
    dim.complete_dimensions(dims)
    record_id = sink.add_record(pointer or _ROOT_LOCATOR, dims)
    leaves: list[tuple[str, float]] = []
    children: list[tuple[Any, str, bool]] = []
    _collect(record, "", pointer, False, leaves, children)
    for path, value in leaves:
        name = resolve_metric(path)
        sink.add_metric(
            record_id, name.metric, path, value * name.scale, name.unit, name.statistic, name.scale
        )
    sink.add_failure_if_empty(record_id, len(leaves), "error")
    for child, child_pointer, is_collection in children:
        if is_collection:
            _visit_members(child, child_pointer, dims, sink)
        else:
            _visit(child, child_pointer, dims, sink)


def _collect(
    node: dict[str, Any],
    path: str,
    pointer: str,
    descriptive: bool,
    leaves: list[tuple[str, float]],
    children: list[tuple[Any, str, bool]],
) -> None:
    """A record's numeric leaves (path within the record, value) and its nested records."""
    for key, value in node.items():
        kind = type(value)  # exact types: a bool is an int subclass but never a measurement
        if kind is float or kind is int:
            if not descriptive and (kind is int or math.isfinite(value)) and _measures(key, value):
                leaves.append((f"{path}.{key}" if path else key, float(value)))
        elif kind is dict:
            if descriptive:
                continue
            leaf_pointer = _pointer(pointer, key)
            if _is_keyed_collection(value):
                children.append((value, leaf_pointer, True))
            else:
                section = normalise_key(key) in _DESCRIPTIVE_SECTIONS
                leaf_path = f"{path}.{key}" if path else key
                _collect(value, leaf_path, leaf_pointer, section, leaves, children)
        elif kind is list:
            if descriptive or not _measures(key, None):
                continue
            leaf_path = f"{path}.{key}" if path else key
            leaf_pointer = _pointer(pointer, key)
            for index, item in enumerate(value):
                if isinstance(item, dict | list):
                    children.append((item, _pointer(leaf_pointer, index), False))
                elif _is_number(item):
                    leaves.append((f"{leaf_path}.{index}", float(item)))


def _measures(key: str, value: Any) -> bool:
    """Whether a numeric field is a measurement: not an id, a time of day, or a valid
    dimension value (a temperature of 48 is degrees, not a sampling option)."""
    role = _key_role(key)
    if role is _MEASURED or role is _NEVER_MEASURED:
        return role is _MEASURED
    return value is not None and dim.decode_dimension(role, value) is None


_MEASURED = "measured"
_NEVER_MEASURED = "never"


@functools.lru_cache(maxsize=16384)
def _key_role(key: str) -> str:
    """What a key's numbers are: measured, never measured, or a dimension to try first."""
    if dim.is_identifier_name(key) or dim.is_timestamp_name(key):
        return _NEVER_MEASURED
    dimension = dim.dimension_for_name(key)
    if dimension is None:
        return _MEASURED
    if dimension in ("timestamp", "error", "success", dim.OPTIONS):
        return _NEVER_MEASURED
    return dimension


def _own_dimensions(record: dict[str, Any]) -> dict[str, Any]:
    """Dimensions written in the record itself: its own fields first, then fields of nested
    objects (options, a model object, a compilation step's success), never nested records."""
    dims: dict[str, Any] = {}
    epoch_time: str | None = None
    output_error: str | None = None
    provider_device: str | None = None
    queue = [record]
    while queue:
        current = queue.pop(0)
        for key, value in current.items():
            if provider_device is None and key.lower() in dim.EXECUTION_PROVIDER_KEYS:
                provider_device = dim.decode_execution_providers(value)
                continue
            dimension = dim.dimension_for_name(key)
            if isinstance(value, dict):
                if dimension == dim.OPTIONS:
                    for name, option in dim.decode_options(value).items():
                        dims.setdefault(name, option)
                elif dimension is not None:
                    decoded = dim.decode_dimension(dimension, value)
                    if decoded is not None:
                        dims.setdefault(dimension, decoded)
                        if dimension == "model":
                            # {"model": {"name": "conv", "device": "cuda"}}: what it ran on too
                            queue.append(value)
                    elif dimension == "config" and not _is_keyed_collection(value):
                        # {"config": {"num_ctx": 4096, ...}}: the settings, not a label
                        queue.append(value)
                elif not _is_keyed_collection(value):
                    queue.append(value)
                continue
            if dimension is None:
                if output_error is None and normalise_key(key) in dim.OUTPUT_TEXT_KEYS:
                    output_error = dim.error_in_output(value)
                continue
            if dimension == dim.OPTIONS:
                for name, option in dim.decode_options(value).items():
                    dims.setdefault(name, option)
                continue
            decoded = dim.decode_dimension(dimension, value)
            if decoded is None:
                continue
            if dimension == "timestamp" and not isinstance(value, str):
                # A written date-time ("datetime") says more than an epoch number beside it.
                epoch_time = epoch_time or decoded
                continue
            dims.setdefault(dimension, decoded)
    if epoch_time is not None:
        dims.setdefault("timestamp", epoch_time)
    if provider_device is not None:
        # where the session ran, over the "device" its model was built on ("cuda" for a model
        # whose ONNX export ran on CPUExecutionProvider)
        dims["hardware"] = provider_device
    if output_error is not None:
        dims.setdefault("error", output_error)
    return dims
