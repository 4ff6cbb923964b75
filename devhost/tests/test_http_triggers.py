"""HTTP triggers: routing, keys, Easy Auth principal injection, errors, the SDK's client."""

import base64
import json
import socket
import time
from urllib.parse import urlsplit

import jwt
import requests

from devhost.auth import TokenIssuer
from devhost.testing import DevhostClient


def test_route_parameters_query_and_headers(devhost: DevhostClient) -> None:
    r = devhost.http("GET", "api/items/42", params={"q": "x"})
    assert r.status_code == 200
    assert r.json() == {"id": 42, "q": "x"}
    assert r.headers["X-Item"] == "yes"
    assert r.headers["Content-Type"].startswith("application/json")


def test_constraint_mismatch_and_wrong_method_are_404_as_in_azure(devhost: DevhostClient) -> None:
    assert devhost.http("GET", "api/items/abc").status_code == 404
    assert devhost.http("DELETE", "api/items/1").status_code == 404
    assert devhost.http("GET", "api/nothing-here").status_code == 404
    assert devhost.http("GET", "not-the-prefix/items/1").status_code == 404
    missing = devhost.http("GET", "api/nothing-here")
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert (missing.json()["status"], missing.json()["code"]) == (404, "NotFound")


def raw_request(devhost: DevhostClient, request: bytes) -> tuple[int, str, dict[str, object]]:
    """Send bytes no HTTP client library would send; the status, content type and body."""
    url = urlsplit(devhost.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers["Content-Type"], json.loads(body)


def test_a_newline_in_a_path_id_is_a_problem_404_with_a_code(devhost: DevhostClient) -> None:
    for path in ("/api/items/x%0A", "/api/nothing%0Ahere", "/%0A"):
        status, kind, body = raw_request(
            devhost, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert (status, kind, body["code"]) == (404, "application/problem+json", "NotFound")


def test_a_bad_header_character_is_a_problem_400_with_a_code(devhost: DevhostClient) -> None:
    status, kind, body = raw_request(
        devhost, b"GET /api/items/1 HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n"
                 b"Connection: close\r\n\r\n")
    assert (status, kind, body["code"]) == (400, "application/problem+json", "BadRequest")


def test_function_and_admin_keys_are_enforced(devhost: DevhostClient) -> None:
    assert devhost.http("GET", "api/secure/ping").status_code == 401
    assert devhost.http("GET", "api/secure/ping", params={"code": "wrong"}).status_code == 401
    ok = devhost.http("GET", "api/secure/ping", params={"code": devhost.keys.function_key})
    assert ok.status_code == 200 and ok.text == "pong"
    header = devhost.http("GET", "api/secure/ping",
                          headers={"x-functions-key": devhost.keys.master_key})
    assert header.status_code == 200
    assert devhost.http("GET", "api/admin-only",
                        params={"code": devhost.keys.function_key}).status_code == 401
    assert devhost.http("GET", "api/admin-only",
                        params={"code": devhost.keys.master_key}).status_code == 200


def test_a_failing_function_answers_500_without_its_secrets(devhost: DevhostClient) -> None:
    r = devhost.http("GET", "api/boom")
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["function"] == "boom" and body["invocationId"]
    assert "secret detail" not in r.text
    assert "Traceback" not in r.text
    devhost.host.wait_output("secret detail")  # the log has it, for the developer


def test_bearer_token_becomes_the_app_service_principal(devhost: DevhostClient) -> None:
    token = devhost.token("alice", ["customer", "support"], name="Alice")
    r = devhost.http("GET", "api/whoami", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    headers = r.json()
    assert headers["x-ms-client-principal-id"] == "alice"
    assert headers["x-ms-client-principal-name"] == "Alice"
    principal = json.loads(base64.b64decode(headers["x-ms-client-principal"]))
    roles = [c["val"] for c in principal["claims"] if c["typ"] == principal["role_typ"]]
    assert sorted(roles) == ["customer", "support"]


def test_forged_principal_headers_are_stripped(devhost: DevhostClient) -> None:
    forged = base64.b64encode(json.dumps({"claims": [{"typ": "roles", "val": "admin"}]})
                              .encode()).decode()
    r = devhost.http("GET", "api/whoami", headers={"x-ms-client-principal": forged,
                                                  "X-MS-CLIENT-PRINCIPAL-ID": "mallory"})
    assert r.json() == {}


def test_bad_tokens_are_401(devhost: DevhostClient) -> None:
    two_hours_ago = TokenIssuer(devhost.host.data_dir, clock=lambda: time.time() - 7200)
    expired = two_hours_ago.mint("alice", ["customer"], ttl=60)
    valid = devhost.token("alice", ["customer"])
    payload = jwt.decode(valid, options={"verify_signature": False})
    forged = jwt.encode({**payload, "roles": ["admin"]}, "x" * 32, algorithm="HS256")
    for bad in (expired, forged, "garbage", valid[:-4] + "AAAA"):
        r = devhost.http("GET", "api/whoami", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
        assert r.json()["code"] == "Unauthenticated"
        assert bad not in r.text


def test_sdk_client_start_returns_check_status_links(devhost: DevhostClient) -> None:
    r = devhost.http("POST", "api/orchestrators/hello_sequence", json=["SDK"])
    assert r.status_code == 202
    links = r.json()
    assert r.headers["Location"] == links["statusQueryGetUri"]
    iid = links["id"]
    assert devhost.wait(iid)["output"] == ["Hello SDK!"]
    final = requests.get(links["statusQueryGetUri"], timeout=10)
    assert final.status_code == 200 and final.json()["runtimeStatus"] == "Completed"


def test_sdk_client_with_explicit_instance_id(devhost: DevhostClient, uid: str) -> None:
    r = devhost.http("POST", f"api/orchestrators/hello_sequence/{uid}", json=["Id"])
    assert r.json()["id"] == uid
    assert devhost.wait(uid)["output"] == ["Hello Id!"]
    again = devhost.http("POST", "api/orchestrators/approval/" + uid + "-w",
                         json={"timeoutSeconds": 60})
    assert again.status_code == 202
    dup = devhost.http("POST", "api/orchestrators/approval/" + uid + "-w",
                       json={"timeoutSeconds": 60})
    assert dup.status_code == 500  # the SDK raises on 409; the function fails
    devhost.action(uid + "-w", "terminate")


def test_sdk_wait_for_completion_returns_the_output(devhost: DevhostClient) -> None:
    r = devhost.http("POST", "api/wait/FanOutFanIn", json=4)
    assert r.status_code == 200
    assert r.json() == 14
