"""docs/data-model.md cannot drift from the shipped JSON Schema (or the export provenance)."""

import json
import re
from pathlib import Path

import pytest

from geomap import frame as frames
from geomap.export import provenance
from geomap.schema import FIELDS, REQUIRED, facility_schema, validate_collection

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"
REF_LABELS = {"date": "date", "date_or_null": "date or null", "url": "URL", "url_or_null": "URL or null"}
ITEM_LABELS = {"url": "list of URLs", "status_event": "list of objects", "count": "list of objects"}


def doc_table(heading):
    """The first Markdown table after ``heading``: a list of {column header: cell}."""
    lines = DOC.read_text("utf-8").splitlines()
    rows = []
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    header, _rule, *body = rows
    return [dict(zip(header, row)) for row in body]


def doc_example():
    """The example feature of the doc (its ```json block)."""
    return json.loads(re.search(r"```json\n(.*?)\n```", DOC.read_text("utf-8"), re.S)[1])


def ticked(cell):
    return re.findall(r"`([^`]*)`", cell)


def type_label(spec):
    """How the doc names a property's type."""
    if "enum" in spec:
        return "enum"
    if "$ref" in spec:
        return REF_LABELS[spec["$ref"].rsplit("/", 1)[1]]
    if spec["type"] == "array":
        items = spec["items"]
        return ITEM_LABELS[items["$ref"].rsplit("/", 1)[1]] if "$ref" in items else f"list of {items['type']}s"
    return " or ".join([spec["type"]] if isinstance(spec["type"], str) else spec["type"])


def conditionally_required():
    return {field for rule in facility_schema()["allOf"] for field in rule["then"]["required"]}


SECTIONS = [
    ("## Facility properties", facility_schema()),
    ("### Status events (`status_history` items)", facility_schema()["$defs"]["status_event"]),
    ("### Dated figures (`detainee_counts` items)", facility_schema()["$defs"]["count"]),
]


@pytest.mark.parametrize(("heading", "schema"), SECTIONS, ids=["facility", "status_event", "count"])
def test_doc_lists_exactly_the_schema_fields_types_and_enumerations(heading, schema):
    rows = doc_table(heading)
    properties = schema["properties"]
    assert [ticked(row["Field"])[0] for row in rows] == list(properties)
    for row in rows:
        field = ticked(row["Field"])[0]
        spec = properties[field]
        assert row["Type"] == type_label(spec), field
        required = field in schema.get("required", ())
        assert (row["Required"] == "yes") == required, field
        if not required:
            expected_start = "when" if field in conditionally_required() and schema is facility_schema() else "no"
            assert row["Required"].startswith(expected_start), field
        if "enum" in spec:
            assert ticked(row["Allowed values"]) == ["null" if value is None else value for value in spec["enum"]], field
        assert row["Meaning"] and row["Example"], field


def test_facility_table_order_is_the_column_order():
    assert tuple(ticked(row["Field"])[0] for row in doc_table("## Facility properties")) == FIELDS
    assert set(REQUIRED) == {ticked(row["Field"])[0] for row in doc_table("## Facility properties") if row["Required"] == "yes"}


def test_doc_example_is_a_valid_facility():
    example = doc_example()
    assert validate_collection({"type": "FeatureCollection", "features": [example]}) == []
    assert tuple(example["properties"]) == FIELDS


def test_doc_lists_exactly_the_provenance_keys():
    facilities = frames.from_features([doc_example()])
    facilities.attrs["national_totals"] = []
    assert [ticked(row["Key"])[0] for row in doc_table("### Provenance")] == list(provenance(facilities))


@pytest.mark.parametrize(("heading", "schema"), SECTIONS, ids=["facility", "status_event", "count"])
def test_doc_states_the_numeric_bounds(heading, schema):
    for row in doc_table(heading):
        spec = schema["properties"][ticked(row["Field"])[0]]
        for bound in ("minimum", "maximum"):
            if bound in spec:
                assert str(spec[bound]) in row["Allowed values"], (row["Field"], bound)
