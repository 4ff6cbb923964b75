"""Wire request/response <-> ``azure.functions`` objects, as the host and Python worker do it.

Requests follow the host's ``ToRpcHttp`` (durable-protocol.md section 7): lower-cased header names,
repeated headers and query keys joined with ``","``, empty values dropped, body as bytes.
Responses go through the library's own ``HttpResponseConverter.encode`` so that defaults
(content-type, status) and failures are exactly what the worker produces.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from azure.functions import meta
from azure.functions.http import HttpResponseConverter

__all__ = ["UnencodableResponse", "from_func_response", "to_func_request"]

_STRING_RETURN_CONTENT_TYPE = "text/plain; charset=utf-8"


class UnencodableResponse(TypeError):
    """A function's return value cannot be an HTTP response; the host answers 500."""


def _join_case_insensitive(
    pairs: Iterable[tuple[str, str]], *, lower_names: bool
) -> dict[str, str]:
    # ASP.NET's header and query collections are case-insensitive and expose repeated values as
    # StringValues, whose ToString() joins with ","; the host skips a name whose joined value is
    # empty. The first spelling of a name wins (query keys keep it; header names are lowered).
    spelling: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        key = name.lower()
        spelling.setdefault(key, key if lower_names else name)
        values.setdefault(key, []).append(value)
    joined = {spelling[key]: ",".join(parts) for key, parts in values.items()}
    return {name: value for name, value in joined.items() if value}


def to_func_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    route_params: dict[str, str],
) -> func.HttpRequest:
    """The ``func.HttpRequest`` the worker would hand the function for this request.

    ``url`` is the full URL including the query string, which is also the source of ``params``.
    """
    query = urlsplit(url).query
    params = _join_case_insensitive(parse_qsl(query, keep_blank_values=True), lower_names=False)
    return func.HttpRequest(
        method=method.upper(),
        url=url,
        headers=_join_case_insensitive(headers, lower_names=True),
        params=params,
        route_params=dict(route_params),
        body=body or b"",
    )


def _cookie_headers(cookies: object) -> list[tuple[str, str]]:
    # The worker turns each SimpleCookie morsel into an RpcHttpCookie and the host writes one
    # Set-Cookie header per cookie.
    if not isinstance(cookies, list):
        return []
    out: list[tuple[str, str]] = []
    for jar in cookies:
        if isinstance(jar, SimpleCookie):
            out.extend(("Set-Cookie", morsel.OutputString()) for morsel in jar.values())
    return out


def from_func_response(value: object) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for a function's ``$return`` value.

    Note: like the worker, this mutates a ``func.HttpResponse``'s headers (adds content-type,
    moves Set-Cookie out), so convert each response once.
    """
    try:
        datum = HttpResponseConverter.encode(value, expected_type=None)
    except NotImplementedError:
        raise UnencodableResponse(
            'unable to encode outgoing TypedData: unsupported type "http" for Python type '
            f'"{type(value).__name__}"'
        ) from None
    if datum.type == "string" and isinstance(datum.value, str):
        return 200, [("content-type", _STRING_RETURN_CONTENT_TYPE)], datum.value.encode("utf-8")
    if datum.type != "http" or not isinstance(datum.value, dict):
        raise UnencodableResponse(f"unexpected datum type {datum.type!r} from the http converter")
    fields = datum.value
    status = int(str(_datum_value(fields["status_code"])))
    headers = [(name, str(_datum_value(d))) for name, d in fields["headers"].items()]
    headers.extend(_cookie_headers(fields.get("cookies")))
    body = _datum_value(fields["body"])
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes):
        body = b""
    return status, headers, body


def _datum_value(datum: object) -> object:
    return datum.value if isinstance(datum, meta.Datum) else datum
