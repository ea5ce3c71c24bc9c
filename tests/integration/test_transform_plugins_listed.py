"""A running worker lists the built-in transforms and predicates of TimestampConverter, the routers,
Filter, the header transforms and Kafka's three predicates under Kafka's class names, as
``GET /connector-plugins?connectorsOnly=false`` does in Kafka Connect: the worker finds them through
the installed entry points alone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

T = "org.apache.kafka.connect.transforms."
P = "org.apache.kafka.connect.transforms.predicates."
EXPECTED = {
    **{T + name: "transformation" for name in (
        "TimestampConverter$Key", "TimestampConverter$Value", "TimestampRouter", "RegexRouter", "Filter",
        "InsertHeader", "DropHeaders", "HeaderFrom$Key", "HeaderFrom$Value")},
    **{P + name: "predicate" for name in ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone")},
}


def test_the_worker_lists_the_transforms_and_predicates(worker):
    listed = worker.get("/connector-plugins?connectorsOnly=false")
    assert listed.status_code == 200
    by_class = {p["class"]: p for p in listed.json()}
    missing = sorted(set(EXPECTED) - set(by_class))
    assert not missing, missing
    for name, kind in EXPECTED.items():
        assert by_class[name]["type"] == kind, by_class[name]
        assert by_class[name]["version"]
    # Only connectors by default, as in Kafka.
    connectors = {p["class"] for p in worker.get("/connector-plugins").json()}
    assert not connectors & set(EXPECTED)
