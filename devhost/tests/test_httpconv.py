"""Wire <-> azure.functions conversion, checked against what the worker hands functions."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

from devhost.httpconv import UnencodableResponse, from_func_response, to_func_request


def request(
    url: str = "http://localhost:7071/api/orders/7?x=1",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    method: str = "get",
) -> func.HttpRequest:
    return to_func_request(method, url, headers or [], body, {"id": "7"})


class TestToFuncRequest:
    def test_method_upper_case_and_full_url(self) -> None:
        req = request(method="post")
        assert req.method == "POST"
        assert req.url == "http://localhost:7071/api/orders/7?x=1"

    def test_route_params(self) -> None:
        assert dict(request().route_params) == {"id": "7"}

    def test_header_names_lower_cased_and_repeats_joined(self) -> None:
        req = request(headers=[("X-Trace", "a"), ("x-trace", "b"), ("Accept", "text/html")])
        assert dict(req.headers) == {"x-trace": "a,b", "accept": "text/html"}

    def test_header_lookup_is_case_insensitive(self) -> None:
        assert request(headers=[("Content-Type", "text/plain")]).headers["CONTENT-TYPE"] == (
            "text/plain"
        )

    def test_empty_header_values_dropped(self) -> None:
        req = request(headers=[("X-Empty", ""), ("X-Full", "1")])
        assert dict(req.headers) == {"x-full": "1"}

    def test_query_parsed_repeats_joined_empties_dropped(self) -> None:
        req = request(url="http://h/api/q?tag=a&tag=b&empty=&name=J%C3%BCrgen+X&flag")
        assert dict(req.params) == {"tag": "a,b", "name": "Jürgen X"}

    def test_query_keys_are_case_insensitive_first_spelling_wins(self) -> None:
        assert dict(request(url="http://h/q?Tag=a&tag=b").params) == {"Tag": "a,b"}

    def test_no_query(self) -> None:
        assert dict(request(url="http://h/api/x").params) == {}

    def test_body_is_bytes_and_json_decodes(self) -> None:
        req = request(body=b'{"qty": 2}', headers=[("Content-Type", "application/json")])
        assert req.get_body() == b'{"qty": 2}'
        assert req.get_json() == {"qty": 2}

    def test_empty_body(self) -> None:
        assert request().get_body() == b""

    def test_form_body(self) -> None:
        req = request(
            method="post",
            body=b"a=1&b=two",
            headers=[("Content-Type", "application/x-www-form-urlencoded")],
        )
        assert req.form["b"] == "two"


class TestFromFuncResponse:
    def test_plain_response_defaults(self) -> None:
        assert from_func_response(func.HttpResponse("hi")) == (
            200,
            [("content-type", "text/plain; charset=utf-8")],
            b"hi",
        )

    def test_json_response_keeps_headers_and_status(self) -> None:
        resp = func.HttpResponse(
            json.dumps({"ok": True}),
            status_code=201,
            mimetype="application/json",
            headers={"X-Custom": "1", "Location": "/api/orders/7"},
        )
        status, headers, body = from_func_response(resp)
        assert status == 201
        assert ("X-Custom", "1") in headers
        assert ("Location", "/api/orders/7") in headers
        assert ("content-type", "application/json") in headers
        assert json.loads(body) == {"ok": True}

    def test_explicit_content_type_is_kept(self) -> None:
        resp = func.HttpResponse("x", headers={"Content-Type": "application/problem+json"})
        _, headers, _ = from_func_response(resp)
        assert [v for n, v in headers if n.lower() == "content-type"] == [
            "application/problem+json"
        ]

    def test_text_mimetype_gets_charset(self) -> None:
        resp = func.HttpResponse("<p>", mimetype="text/html", charset="latin-1")
        _, headers, _ = from_func_response(resp)
        assert ("content-type", "text/html; charset=latin-1") in headers

    def test_each_set_cookie_emitted_separately(self) -> None:
        resp = func.HttpResponse("ok", headers={"Set-Cookie": "a=b; Path=/"})
        resp.headers.add("Set-Cookie", "session=xyz; HttpOnly; SameSite=Lax")
        _, headers, _ = from_func_response(resp)
        assert [v for n, v in headers if n == "Set-Cookie"] == [
            "a=b; Path=/",
            "session=xyz; HttpOnly; SameSite=Lax",
        ]
        assert not [n for n, _ in headers if n.lower() == "set-cookie" and n != "Set-Cookie"]

    def test_bytes_body_and_no_body(self) -> None:
        binary = func.HttpResponse(b"\x00\x01", mimetype="application/octet-stream")
        assert from_func_response(binary)[2] == b"\x00\x01"
        assert from_func_response(func.HttpResponse(status_code=204))[:1] == (204,)
        assert from_func_response(func.HttpResponse(status_code=204))[2] == b""

    def test_string_return_is_200_text_plain(self) -> None:
        assert from_func_response("hello") == (
            200,
            [("content-type", "text/plain; charset=utf-8")],
            b"hello",
        )

    def test_unicode_string_return_is_utf8(self) -> None:
        assert from_func_response("zoë")[2] == "zoë".encode()

    @pytest.mark.parametrize(
        ("value", "type_name"), [(None, "NoneType"), ({"a": 1}, "dict"), (b"x", "bytes")]
    )
    def test_other_returns_fail_like_the_worker(self, value: object, type_name: str) -> None:
        with pytest.raises(UnencodableResponse) as info:
            from_func_response(value)
        assert str(info.value) == (
            'unable to encode outgoing TypedData: unsupported type "http" for Python type '
            f'"{type_name}"'
        )
        assert isinstance(info.value, TypeError)
