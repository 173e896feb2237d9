"""The reference pages of the Event-Driven Ansible sources (extensions/eda/plugins/event_source).

ansible-doc, and so antsibull-docs, does not know event sources: their ``DOCUMENTATION`` and
``EXAMPLES`` (the sidecar format of modules) are read here without importing the source,
checked, and rendered as MyST pages of the site. A documentation error fails ``make docs``.
"""

import ast
import re
from pathlib import Path

import yaml

OPTION_KEYS = {"description", "type", "required", "default", "choices", "elements"}
TYPES = {"str", "int", "bool", "list", "dict", "float", "path", "raw"}
MARKUP = re.compile(r"\b([CIOVEBM])\(([^()]*)\)")


class DocError(Exception):
    pass


def _strings(path):
    """The module-level string constants DOCUMENTATION and EXAMPLES of a source file."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("DOCUMENTATION", "EXAMPLES") and isinstance(node.value, ast.Constant):
                found[node.targets[0].id] = node.value.value
    return found


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _check_option(where, name, option):
    errors = []
    if not isinstance(option, dict):
        return ["%s: option %s is not a mapping" % (where, name)]
    unknown = set(option) - OPTION_KEYS
    if unknown:
        errors.append("%s: option %s has unknown keys %s" % (where, name, ", ".join(sorted(unknown))))
    if not option.get("description"):
        errors.append("%s: option %s has no description" % (where, name))
    if option.get("type", "str") not in TYPES:
        errors.append("%s: option %s has type %r" % (where, name, option.get("type")))
    if option.get("required") and "default" in option:
        errors.append("%s: option %s is required and has a default" % (where, name))
    if option.get("type") == "list" and "elements" not in option:
        errors.append("%s: option %s is a list without elements" % (where, name))
    return errors


def load(path):
    """The parsed documentation of one source; raises DocError with every problem found."""
    where = path.name
    strings = _strings(path)
    errors = ["%s: no %s" % (where, key) for key in ("DOCUMENTATION", "EXAMPLES") if key not in strings]
    if errors:
        raise DocError("\n".join(errors))
    try:
        doc = yaml.safe_load(strings["DOCUMENTATION"])
        examples = yaml.safe_load(strings["EXAMPLES"])
    except yaml.YAMLError as exc:
        raise DocError("%s: YAML error: %s" % (where, exc))
    if not isinstance(doc, dict) or not doc.get("short_description") or not doc.get("description"):
        raise DocError("%s: DOCUMENTATION needs short_description and description" % where)
    for name, option in (doc.get("options") or {}).items():
        errors.extend(_check_option(where, name, option))
    if not isinstance(examples, list) or not all(isinstance(item, dict) and "sources" in item for item in examples):
        errors.append("%s: EXAMPLES is not a list of rulesets with sources" % where)
    elif not any(path.stem in str(item.get("sources")) for item in examples):
        errors.append("%s: EXAMPLES does not use the source" % where)
    if errors:
        raise DocError("\n".join(errors))
    return doc, strings["EXAMPLES"]


def _text(value):
    """Ansible markup to Markdown."""
    def replace(match):
        kind, inner = match.groups()
        return "*%s*" % inner if kind in "IB" else "`%s`" % inner
    return MARKUP.sub(replace, str(value))


def render(fqcn, doc, examples):
    lines = ["# %s event source: %s" % (fqcn, doc["short_description"]), ""]
    lines += [_text(paragraph) + "\n" for paragraph in _as_list(doc["description"])]
    lines += ["## Options", "", "| option | type | default | description |", "|---|---|---|---|"]
    for name, option in sorted((doc.get("options") or {}).items()):
        kind = option.get("type", "str")
        if option.get("elements"):
            kind += " of " + option["elements"]
        default = "required" if option.get("required") else (
            "`%s`" % str(option["default"]).lower() if isinstance(option.get("default"), bool)
            else "`%s`" % option["default"] if "default" in option else "")
        text = " ".join(_text(part) for part in _as_list(option["description"])).replace("|", "\\|")
        lines.append("| `%s` | %s | %s | %s |" % (name, kind, default, text))
    lines += ["", "## Examples", "", "```yaml", examples.strip("\n"), "```", ""]
    return "\n".join(lines)


def write_pages(root, dest, collection):
    """Render every source's page into ``dest``; return the page names (without .md)."""
    sources = sorted((root / "extensions" / "eda" / "plugins" / "event_source").glob("*.py"))
    errors, names = [], []
    dest.mkdir(parents=True, exist_ok=True)
    for path in sources:
        if path.name.startswith("_"):
            continue
        try:
            doc, examples = load(path)
        except DocError as exc:
            errors.append(str(exc))
            continue
        name = "eda_source_" + path.stem
        (dest / (name + ".md")).write_text(render("%s.%s" % (collection, path.stem), doc, examples),
                                           encoding="utf-8")
        names.append(name)
    if errors:
        raise DocError("\n".join(errors))
    return names


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "."), Path(tmp), "scriptbridge.core"))
