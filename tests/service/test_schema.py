"""schemathesis against the app's own OpenAPI schema: no 500s, responses match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from service.api import create_app
from service.config import Settings
from tests.conftest import Server

pytestmark = pytest.mark.integration


def test_api_conforms_to_its_schema(server: Server) -> None:
    """Every operation, bounded examples, fixed seed: no 5xx and every response as documented."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/ask",
        "/documents",
        "/documents/{doc_id}",
        "/healthz",
        "/readyz",
    }
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        check()


def test_schema_documents_the_contract() -> None:
    spec = create_app(Settings()).openapi()
    ask = spec["components"]["schemas"]["AskRequest"]
    assert ask["additionalProperties"] is False
    assert set(ask["properties"]) == {"question", "top_k"}
    resp = spec["components"]["schemas"]["AskResponse"]["properties"]
    assert {"question", "answer", "confidence", "citations", "passages", "timings_ms"} <= set(resp)
