"""runtime.errors: the error handler's tolerance."""

from __future__ import annotations

import pytest


def test_error_handler_never_tolerates_retriable_errors():
    from dbconnect.api.errors import DataError, RetriableError
    from dbconnect.runtime.errors import ErrorHandler, Stage, ToleranceExceeded

    handler = ErrorHandler("c", 0, {"errors.tolerance": "all"})
    handler.handle(Stage.VALUE_CONVERTER, DataError("bad record"))  # tolerated: the record is bad
    with pytest.raises(ToleranceExceeded):
        handler.handle(Stage.VALUE_CONVERTER, RetriableError("registry unreachable"))
    strict = ErrorHandler("c", 0, {})
    with pytest.raises(ToleranceExceeded, match="Tolerance exceeded in error handler"):
        strict.handle(Stage.VALUE_CONVERTER, DataError("bad record"))
