"""``OpenApiConformance``: checks real REST answers against what ``/openapi.json`` documents for them.

Shared by the integration test (a real worker) and the unit test (the fake herder's rarer answers).
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

METHODS = ("get", "put", "post", "patch", "delete")


class OpenApiConformance:
    """Checks each real answer against the operation's documented response for its status code."""

    def __init__(self, worker: Any) -> None:
        """``worker``: anything with ``get/put/post/patch/delete(path, **kw)`` (a WorkerHandle, a TestClient)."""
        self.worker = worker
        self.spec = worker.get("/openapi.json").json()
        self.components = self.spec.get("components", {})
        self.seen: set[tuple[str, str, int]] = set()

    def operations(self) -> list[tuple[str, str]]:
        return [(method, path) for path, ops in self.spec["paths"].items() for method in ops if method in METHODS]

    def call(self, method: str, template: str, params: dict[str, str] | None = None, **kw: Any) -> Any:
        path = template.format(**(params or {}))
        response = getattr(self.worker, method)(path, **kw)
        self.check(method, template.partition("?")[0], response)
        return response

    def check(self, method: str, template: str, response: Any) -> None:
        where = f"{method.upper()} {template} -> {response.status_code}"
        operation = self.spec["paths"][template][method]
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{where}: status not documented ({sorted(operation['responses'])}): {response.text}"
        content = documented.get("content")
        if content is None:
            assert response.content == b"", f"{where}: documented without a body but sent {response.text!r}"
        elif "text/plain" in content:  # GET /metrics: Prometheus' text format
            assert response.headers["content-type"].startswith("text/plain"), where
            assert response.text.startswith("# HELP "), where
        else:
            schema = content["application/json"]["schema"]
            assert schema, f"{where}: documented with the empty schema"
            assert response.headers["content-type"].startswith("application/json"), where
            validator = Draft202012Validator({**schema, "components": self.components})
            errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
            assert not errors, f"{where}: the body does not match the documented schema: " + "; ".join(
                f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]) + f"\nbody: {response.text[:2000]}"
        self.seen.add((method, template, response.status_code))
