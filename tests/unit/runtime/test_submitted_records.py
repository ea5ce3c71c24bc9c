"""runtime.submitted_records: which source offsets may be committed."""

from __future__ import annotations

from dbconnect.runtime.submitted_records import SubmittedRecords


def test_submitted_records_commit_only_fully_delivered_leading_batches():
    submitted = SubmittedRecords()
    p1, p2 = {"f": "a"}, {"f": "b"}
    first = submitted.new_batch()
    first.add(p1, {"pos": 1})
    first.add(p1, {"pos": 2})
    first.add(None, None)  # a record without a source partition still has to be delivered
    first.closed = True
    second = submitted.new_batch()
    second.add(p2, {"pos": 10})
    second.add(p1, {"pos": 3}, in_flight=False)  # filtered or tolerated: nothing to wait for
    second.closed = True
    second.ack()
    # The first batch is still in flight, so nothing after it may be committed either.
    assert submitted.committable() == {}
    first.ack()
    first.ack()
    assert submitted.committable() == {} and submitted.in_flight == 1
    first.ack()
    committed = submitted.committable()
    assert sorted(committed.values(), key=str) == sorted([(p1, {"pos": 3}), (p2, {"pos": 10})], key=str)
    assert submitted.committable() == {} and submitted.in_flight == 0


def test_an_open_batch_is_never_committed():
    submitted = SubmittedRecords()
    batch = submitted.new_batch()
    batch.add({"f": "a"}, {"pos": 1}, in_flight=False)
    assert submitted.committable() == {}
    batch.closed = True
    assert list(submitted.committable().values()) == [({"f": "a"}, {"pos": 1})]
