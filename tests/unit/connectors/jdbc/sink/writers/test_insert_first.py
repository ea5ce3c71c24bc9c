"""When the PostgreSQL writer tries a plain INSERT before the upsert (pure logic of InsertFirst)."""

from dbconnect.connectors.jdbc.postgresql.sink import InsertFirst


def test_conflicts_back_off_up_to_one_try_in_sixty_five_batches():
    first = InsertFirst("INSERT …")
    tries = []
    for batch in range(400):
        if first.due():
            tries.append(batch)
            first.conflicted()
    # After 0, 1, 2, 4 … 64 skipped batches, then after every 64.
    assert tries == [0, 2, 5, 10, 19, 36, 69, 134, 199, 264, 329, 394]
    assert first.conflicts == 12 and first.inserts == 0


def test_an_insert_that_succeeds_resets_the_back_off():
    first = InsertFirst("INSERT …")
    for _ in range(3):
        first.conflicted()
    while not first.due():
        pass
    first.inserted()
    assert first.due() and first.due()  # every batch tries again
    first.conflicted()
    assert not first.due() and first.due()  # one skipped batch, as after the first conflict
