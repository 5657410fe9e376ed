"""A server that needs a token, as a user meets it: the Python client and
curl are refused without it, with a message that says what to do, and
accepted with it, from each place a token can come from."""

import subprocess

import numpy as np
import pytest

import framecast
from conftest import Server, peek, rgba

TOKEN = "python-test-token"


@pytest.fixture
def token_server():
    server = Server("--source", "none", "--token", TOKEN)
    yield server
    server.stop()


@pytest.fixture
def no_env_token(monkeypatch):
    monkeypatch.delenv("FRAMECAST_TOKEN", raising=False)


def frame(value):
    return np.full((24, 32, 3), value, np.uint8)


def test_the_server_prints_the_url_with_its_token(token_server):
    assert token_server.token == TOKEN


def test_without_or_with_a_wrong_token_the_client_is_refused(token_server, no_env_token):
    with pytest.raises(framecast.RefusedError, match="HTTP 401: this server needs a token") as refused:
        framecast.Publisher(token_server.url, "cam")
    assert refused.value.status == 401 and refused.value.reason.startswith("this server needs a token: open the URL")
    with pytest.raises(framecast.RefusedError, match="HTTP 401: wrong token") as refused:
        framecast.Publisher(token_server.url, "cam", token="guess")
    assert isinstance(refused.value, ConnectionError) and refused.value.reason == "wrong token"


@pytest.mark.parametrize("source", ["argument", "url", "environment"])
def test_the_token_from_each_place_publishes(token_server, no_env_token, monkeypatch, source):
    url, kwargs = token_server.url, {}
    if source == "argument":
        kwargs["token"] = TOKEN
    elif source == "url":
        url = f"{token_server.url}/?token={TOKEN}"
    else:
        monkeypatch.setenv("FRAMECAST_TOKEN", TOKEN)
    with framecast.Publisher(url, source, **kwargs) as publisher:
        publisher.send(frame(7))
        assert publisher.flush()
    _, shown = peek(token_server, source, seq=1)
    np.testing.assert_array_equal(shown, rgba(frame(7)))


def curl(*args):
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    body, status = result.stdout.rsplit("\n", 1)
    return int(status), body


def test_curl_publishes_with_the_token_and_is_refused_without(token_server, tmp_path):
    pixels = tmp_path / "frame.rgb"
    pixels.write_bytes(frame(200).tobytes())
    url = f"{token_server.url}/api/streams/curl/frame?width=32&height=24&format=rgb8"
    octet = ["-H", "Content-Type: application/octet-stream", "--data-binary", f"@{pixels}"]
    status, body = curl(*octet, url)
    assert status == 401 and "needs a token" in body
    status, body = curl(*octet, "-H", "Authorization: Bearer nope", url)
    assert status == 401 and "wrong token" in body
    status, body = curl(*octet, "-H", f"Authorization: Bearer {TOKEN}", url)
    assert (status, body) == (200, '{"seq":1}')
    status, body = curl("--data-binary", f"@{pixels}", "-H", f"Authorization: Bearer {TOKEN}", url)
    assert status == 415 and "application/octet-stream" in body, "curl's default form type is refused"
    _, shown = peek(token_server, "curl", seq=1)
    np.testing.assert_array_equal(shown, rgba(frame(200)))
