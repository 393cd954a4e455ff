"""Schemathesis fuzzes every operation of the open-data API's OpenAPI schema against a live server:
no input may produce a server error (5xx). Bounded: MAX_EXAMPLES cases per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from devdata.demo import seed_demo

from .factories import ensure_national_framework

MAX_EXAMPLES = 30


@pytest.mark.django_db(transaction=True)
def test_no_api_input_causes_a_server_error(live_server, settings_public):
    ensure_national_framework()  # an earlier transactional test's flush may have removed it
    seed_demo()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    schema.config.update(base_url=live_server.url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10  # 9 of api/ and the 進捗状況報告書 (evaluations/api.py)
    failures, cases = [], 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal cases
            cases += 1
            response = case.call()
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, response.status_code))

        run()
    print(f"schemathesis: {cases} cases over {len(operations)} operations")
    assert cases >= len(operations) * 5
    assert failures == []


@pytest.fixture
def settings_public(settings):
    settings.PUBLIC_DASHBOARD = True
    return settings
