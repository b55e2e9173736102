"""The schema fingerprint against docs/fingerprint.md and the shared vectors test/vectors/fingerprint.json."""

from __future__ import annotations

import hashlib
import json

import pytest
from support import REPO_ROOT

from rootline_emitter import FingerprintError, canonical_schema, schema_fingerprint
from rootline_emitter.fingerprint import MAX_SCHEMA_DEPTH

VECTORS = REPO_ROOT / "test" / "vectors" / "fingerprint.json"


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_shared_vectors_match_byte_for_byte():
    assert VECTORS.exists(), f"{VECTORS} is missing: it is generated from the TypeScript implementation"
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert isinstance(vectors, list) and vectors, "fingerprint.json must be a non-empty array"
    for v in vectors:
        name = v["name"]
        assert canonical_schema(v["schema"]) == v["canonical"], name
        assert schema_fingerprint(v["schema"]) == v["fingerprint"], name


def test_contract_example():
    schema = [
        {"name": "customer_id", "type": "string", "nullable": False},
        {"name": "avg_amount", "type": "double", "nullable": True},
    ]
    canonical = (
        '[{"name":"avg_amount","type":"double","nullable":true},'
        '{"name":"customer_id","type":"string","nullable":false}]'
    )
    assert canonical_schema(schema) == canonical
    assert schema_fingerprint(schema) == sha(canonical)
    assert schema_fingerprint([]) == sha("[]")


def test_order_omitted_nullable_and_extra_keys_do_not_change_it():
    base = [
        {"name": "a", "type": "long", "nullable": True},
        {"name": "b", "type": "struct", "nullable": False, "fields": [
            {"name": "y", "type": "string"}, {"name": "x", "type": "int", "nullable": False}]},
    ]
    variant = [
        {"name": "b", "type": "struct", "nullable": False, "description": "nested", "fields": [
            {"name": "x", "type": "int", "nullable": False, "metadata": {"k": 1}}, {"name": "y", "type": "string", "nullable": True}]},
        {"name": "a", "type": "long"},
    ]
    assert schema_fingerprint(base) == schema_fingerprint(variant)
    assert canonical_schema(base) == (
        '[{"name":"a","type":"long","nullable":true},{"name":"b","type":"struct","nullable":false,"fields":'
        '[{"name":"x","type":"int","nullable":false},{"name":"y","type":"string","nullable":true}]}]'
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.append({"name": "c", "type": "string"}),
        lambda s: s.pop(),
        lambda s: s[0].update(name="A"),
        lambda s: s[0].update(type="int"),
        lambda s: s[0].update(nullable=False),
        lambda s: s[1]["fields"][0].update(nullable=True),
        lambda s: s[1]["fields"][0].update(type="long"),
    ],
)
def test_what_changes_it(change):
    schema = [
        {"name": "a", "type": "long", "nullable": True},
        {"name": "b", "type": "struct", "fields": [{"name": "x", "type": "int", "nullable": False}]},
    ]
    before = schema_fingerprint(schema)
    change(schema)
    assert schema_fingerprint(schema) != before


def test_nested_defaults_and_ignored_type_specific_keys():
    schema = [
        {"name": "m", "type": "map"},
        {"name": "l", "type": "array", "items": {"type": "struct", "fields": [{"name": "z", "type": "date"}, {"name": "k", "type": "binary"}]}},
        {"name": "s", "type": "struct"},
        {"name": "t", "type": "string", "fields": [{"name": "ignored", "type": "int"}], "items": {"type": "int"}},
        {"name": "mm", "type": "map", "keys": {"type": "string", "nullable": False, "name": "ignored"}, "values": {"type": "array"}},
    ]
    assert canonical_schema(schema) == (
        '[{"name":"l","type":"array","nullable":true,"items":{"type":"struct","nullable":true,"fields":'
        '[{"name":"k","type":"binary","nullable":true},{"name":"z","type":"date","nullable":true}]}},'
        '{"name":"m","type":"map","nullable":true,"keys":{"type":"unknown","nullable":true},"values":{"type":"unknown","nullable":true}},'
        '{"name":"mm","type":"map","nullable":true,"keys":{"type":"string","nullable":false},'
        '"values":{"type":"array","nullable":true,"items":{"type":"unknown","nullable":true}}},'
        '{"name":"s","type":"struct","nullable":true,"fields":[]},'
        '{"name":"t","type":"string","nullable":true}]'
    )


def test_json_text_rules():
    names = ['q"uote', "back\\slash", "tab\there", "nl\n", "ctl\x01\x1f", "del\x7f", "é 東京 😀", "\b\f\r"]
    canonical = canonical_schema([{"name": n, "type": "string"} for n in names])
    # Exactly what JSON.stringify / json.dumps(ensure_ascii=False) write.
    for n in names:
        assert json.dumps(n, ensure_ascii=False) in canonical
    assert '"ctl\\u0001\\u001f"' in canonical
    assert "\\u00" not in canonical.replace("\\u0001", "").replace("\\u001f", "")
    assert "東京 😀" in canonical


def test_names_sort_by_code_point_not_utf16():
    # U+FFFD < U+1F600 by code point; in UTF-16 code units the emoji (D83D DE00) would come first.
    schema = [{"name": "\U0001F600", "type": "int"}, {"name": "\ufffd", "type": "int"}, {"name": "Z", "type": "int"}, {"name": "a", "type": "int"}]
    canonical = canonical_schema(schema)
    positions = [canonical.index(json.dumps(n, ensure_ascii=False)) for n in ["Z", "a", "\ufffd", "\U0001F600"]]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "schema",
    [
        [{"name": "a", "type": "int"}, {"name": "a", "type": "long"}],
        [{"name": "s", "type": "struct", "fields": [{"name": "x", "type": "int"}, {"name": "x", "type": "int"}]}],
        [{"name": "a", "type": "integer"}],
        [{"name": "a"}],
        [{"type": "int"}],
        [{"name": 1, "type": "int"}],
        [{"name": "a", "type": "int", "nullable": "yes"}],
        [{"name": "a", "type": "int", "nullable": None}],
        [{"name": "bad\ud800", "type": "int"}],
        [{"name": "a", "type": "array", "items": None}],
        [{"name": "a", "type": "struct", "fields": None}],
        [{"name": "a", "type": "map", "keys": "string"}],
        ["a"],
        {"name": "a", "type": "int"},
    ],
)
def test_errors(schema):
    with pytest.raises(FingerprintError):
        schema_fingerprint(schema)


def nested_structs(depth: int) -> list:
    """A schema whose deepest field is at ``depth``."""
    field: dict = {"name": "leaf", "type": "int"}
    for _ in range(depth - 1):
        field = {"name": "s", "type": "struct", "fields": [field]}
    return [field]


def test_depth_limit():
    assert schema_fingerprint(nested_structs(MAX_SCHEMA_DEPTH)).startswith("sha256:")
    with pytest.raises(FingerprintError):
        schema_fingerprint(nested_structs(MAX_SCHEMA_DEPTH + 1))


def test_shared_invalid_vectors_have_no_fingerprint():
    path = REPO_ROOT / "test" / "vectors" / "fingerprint_invalid.json"
    assert path.exists(), f"{path} is missing: it is generated from the TypeScript implementation"
    vectors = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(vectors, list) and vectors
    for v in vectors:
        with pytest.raises(FingerprintError) as info:
            schema_fingerprint(v["schema"])
        assert info.value.path == v["path"], (v["name"], str(info.value))
