from __future__ import annotations

from agenthub.cli.serve import dashboard_url


def test_the_printed_address_logs_the_operator_in() -> None:
    assert dashboard_url("127.0.0.1", 8000, "hub-token") == "http://127.0.0.1:8000/?token=hub-token"


def test_a_wildcard_bind_prints_a_loopback_address_and_the_token_is_quoted() -> None:
    assert dashboard_url("0.0.0.0", 9000, "a/b+c") == "http://127.0.0.1:9000/?token=a%2Fb%2Bc"
    assert dashboard_url("::1", 80, "t") == "http://[::1]:80/?token=t"
