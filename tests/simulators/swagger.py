"""Check HTTP exchanges against the official SuperOffice Swagger 2.0 specs.

The specs are copies in ``tests/simulators/specs/superoffice/`` (their README names the origin). Swagger 2.0
cannot say "nullable", and the .NET WebAPI writes ``null`` for any property it has
no value for (and for every property ``$select`` leaves out), so by default a
property of an object may be ``null``; map values, array items and whole bodies
may not. Swashbuckle writes ``System.Object`` as a bare ``{"type": "object"}``,
which here means "any JSON value".

``validate_exchange(request, response)`` takes a recorded request and response in
the simulator's shape (``method``, ``path``, ``query``, ``headers``, ``raw_body`` /
``body``; ``status``, ``headers``, ``raw_body`` / ``body``) and finds the operation
from the path, so module tests can check the traffic a module causes.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema

SPEC_DIR = Path(__file__).resolve().parent / "specs" / "superoffice"
SPEC_FILES = ("Swagger-v1-CRMScript.json", "Swagger-v1-CRMScriptAgent.json",
              "Swagger-v1-CustomerServiceAgent.json")

# The only documented SuperOffice error body (FACTS section 3).
ERROR_BODY_SCHEMA = {
    "type": "object",
    "required": ["Error", "ErrorType", "ErrorMessage", "ErrorSource"],
    "properties": {"Error": {"enum": [True]}, "ErrorType": {"type": "string"},
                   "ErrorMessage": {"type": "string"}, "ErrorSource": {"type": "string"}},
    "additionalProperties": False,
}


class SwaggerMismatch(AssertionError):
    """An exchange that breaks the spec in a way JSON Schema does not cover."""


class Operation(NamedTuple):
    """One operation of one spec."""

    spec_file: str
    path: str
    method: str
    definition: dict

    @property
    def operation_id(self) -> str:
        """The spec's operationId."""
        return self.definition["operationId"]


@functools.lru_cache(maxsize=None)
def load_spec(spec_file: str) -> dict:
    """A spec by file name (looked up in SPEC_DIR) or path."""
    path = Path(spec_file)
    if not path.is_absolute() and not path.exists():
        path = SPEC_DIR / spec_file
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _prepare(schema: Any, nullable: bool) -> Any:
    """Swagger schema to Draft 4: bare objects mean anything, properties may be null."""
    if isinstance(schema, list):
        return [_prepare(item, nullable) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "object" and not {"properties", "additionalProperties",
                                               "$ref"} & set(schema):
        return {key: value for key, value in schema.items() if key != "type"}
    result = {}
    for key, value in schema.items():
        if key == "properties":
            result[key] = {name: _nullable(_prepare(prop, nullable), nullable)
                           for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            result[key] = _prepare(value, nullable)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _nullable(schema: dict, nullable: bool) -> dict:
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


@functools.lru_cache(maxsize=None)
def _definitions(spec_file: str, nullable: bool) -> dict:
    return {name: _prepare(definition, nullable)
            for name, definition in load_spec(spec_file).get("definitions", {}).items()}


def _with_definitions(schema: dict | None, spec_file: str, nullable: bool) -> dict | None:
    if schema is None:
        return None
    return {"allOf": [_prepare(schema, nullable)], "definitions": _definitions(spec_file, nullable)}


def operation_schemas(spec_file: str, path_template: str, method: str, *,
                      nullable: bool = True) -> tuple[dict | None, dict | None]:
    """The body parameter schema and the 200 response schema of an operation.

    Either is None when the operation has none. Both carry the spec's definitions,
    so their ``#/definitions/...`` references resolve.
    """
    spec = load_spec(spec_file)
    operation = spec["paths"][path_template][method.lower()]
    body = next((param["schema"] for param in operation.get("parameters", [])
                 if param.get("in") == "body"), None)
    response = operation.get("responses", {}).get("200", {}).get("schema")
    return (_with_definitions(body, spec_file, nullable),
            _with_definitions(response, spec_file, nullable))


def validator(schema: dict) -> jsonschema.Draft4Validator:
    """A Draft 4 validator for a schema from ``operation_schemas``."""
    return jsonschema.Draft4Validator(schema)


def event_handler_type_enum(spec_file: str = "Swagger-v1-CustomerServiceAgent.json") -> list:
    """The EventHandlerType enum as the spec's EventData.Type lists it."""
    definitions = load_spec(spec_file)["definitions"]
    return list(definitions["SuperOffice.CRM.Services.EventData"]["properties"]["Type"]["enum"])


def _path_parameters(operation: dict) -> dict[str, dict]:
    return {param["name"]: param for param in operation.get("parameters", [])
            if param.get("in") == "path"}


def _segment_matches(template: str, segment: str, parameters: dict[str, dict]) -> bool:
    if template.startswith("{") and template.endswith("}"):
        param = parameters.get(template[1:-1], {})
        if param.get("type") == "integer":
            return re.fullmatch(r"-?\d+", segment) is not None
        return bool(segment)
    return template.lower() == segment.lower()


def find_operation(method: str, path: str) -> Operation | None:
    """The spec operation a request path (anything ending in ``/api/v1/...``) calls."""
    index = path.lower().find("/api/v1/")
    if index < 0:
        return None
    segments = [part for part in path[index:].split("/") if part]
    best: Operation | None = None
    best_literals = -1
    for spec_file in SPEC_FILES:
        for template, operations in load_spec(spec_file)["paths"].items():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            parts = [part for part in template.split("/") if part]
            parameters = _path_parameters(operation)
            if len(parts) != len(segments) or not all(
                    _segment_matches(part, segment, parameters)
                    for part, segment in zip(parts, segments)):
                continue
            # A literal segment ("default") beats a parameter that would also match.
            literals = sum(1 for part in parts if not part.startswith("{"))
            if literals > best_literals:
                best_literals = literals
                best = Operation(spec_file, template, method.lower(), operation)
    return best


def _header(headers: dict, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _media_type(headers: dict) -> str:
    return (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()


def _body(message: dict) -> tuple[bool, Any]:
    """Whether a recorded message has a body, and that body parsed as JSON."""
    raw = message.get("raw_body")
    if raw is None:
        return message.get("body") is not None, message.get("body")
    if raw == "":
        return False, None
    try:
        return True, json.loads(raw)
    except ValueError as err:
        raise SwaggerMismatch(f"the body is not JSON: {err}: {raw[:200]!r}") from None


def _check_query(operation: Operation, query: dict) -> None:
    declared = {param["name"].lower(): param for param in operation.definition.get("parameters", [])
                if param.get("in") == "query"}
    for name, value in (query or {}).items():
        param = declared.get(name.lower())
        if param is None:
            raise SwaggerMismatch(f"{operation.operation_id} has no query parameter {name!r}")
        kind = param.get("type")
        if kind == "integer" and not re.fullmatch(r"-?\d+", str(value)):
            raise SwaggerMismatch(f"query parameter {name} must be an integer, not {value!r}")
        if kind == "boolean" and str(value).lower() not in ("true", "false"):
            raise SwaggerMismatch(f"query parameter {name} must be a boolean, not {value!r}")
        if "enum" in param and str(value).lower() not in [str(item).lower()
                                                          for item in param["enum"]]:
            raise SwaggerMismatch(f"query parameter {name} must be one of {param['enum']}")


def _check_request(operation: Operation, request: dict, nullable: bool) -> None:
    _check_query(operation, request.get("query") or {})
    body_schema, _unused = operation_schemas(operation.spec_file, operation.path, operation.method,
                                             nullable=nullable)
    has_body, body = _body(request)
    if body_schema is None:
        if has_body:
            raise SwaggerMismatch(f"{operation.operation_id} takes no request body")
        return
    if not has_body:
        raise SwaggerMismatch(f"{operation.operation_id} requires a request body")
    media = _media_type(request.get("headers") or {})
    if media not in operation.definition.get("consumes", []):
        raise SwaggerMismatch(f"{operation.operation_id} does not consume {media!r}")
    validator(body_schema).validate(body)


def _check_response(operation: Operation, response: dict, nullable: bool) -> None:
    status = response.get("status")
    if status != 200 and "json" not in _media_type(response.get("headers") or {}):
        # Error answers of other layers (the 401 challenge, the 421 of the load balancer)
        # need not be JSON.
        return
    has_body, body = _body(response)
    if status == 200:
        _unused, response_schema = operation_schemas(operation.spec_file, operation.path,
                                                     operation.method, nullable=nullable)
        media = _media_type(response.get("headers") or {})
        if media not in operation.definition.get("produces", []):
            raise SwaggerMismatch(f"{operation.operation_id} does not produce {media!r}")
        if response_schema is not None:
            if not has_body:
                raise SwaggerMismatch(f"{operation.operation_id} answered 200 without a body")
            validator(response_schema).validate(body)
    elif status == 204 and has_body:
        raise SwaggerMismatch(f"{operation.operation_id} answered 204 with a body")
    elif isinstance(body, dict) and "Error" in body:
        validator(ERROR_BODY_SCHEMA).validate(body)


def validate_exchange(request: dict, response: dict | None = None, *, check_request: bool = True,
                      nullable: bool = True) -> str:
    """Validate a recorded request (and its response) against the spec; return the operationId.

    The request must call a spec operation (else LookupError), send only declared query
    parameters, and carry a body of a consumed media type that fits the body schema. A 200
    response must have a produced media type and fit the 200 schema; an error response that
    looks like a SuperOffice error must have the documented error shape. Failures raise
    ``jsonschema.ValidationError`` or ``SwaggerMismatch`` (an AssertionError).
    """
    operation = find_operation(request["method"], request["path"])
    if operation is None:
        raise LookupError(f"no spec operation for {request['method']} {request['path']}")
    if check_request:
        _check_request(operation, request, nullable)
    if response is not None:
        _check_response(operation, response, nullable)
    return operation.operation_id
