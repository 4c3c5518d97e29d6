"""The benchmarks' lighter HTTP client (``harness.Client``): responses parsed only once whole,
whatever pieces they arrive in, over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.bench.harness import Client, HttpError, parse_response

FIXED = b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Thing: a:b\r\n\r\nhello"
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
)
EMPTY = b"HTTP/1.1 204 No Content\r\n\r\n"


@pytest.mark.parametrize(
    ("raw", "status", "body"),
    [(FIXED, 201, b"hello"), (CHUNKED, 200, b"abcdefg"), (EMPTY, 204, b"")],
)
def test_a_whole_response_is_parsed_and_its_length_reported(raw, status, body):
    buffer = bytearray(raw + b"HTTP/1.1 next")
    parsed = parse_response(buffer)
    assert parsed is not None
    response, used = parsed
    assert (response.status, response.body, used) == (status, body, len(raw))
    if raw is FIXED:
        assert response.headers["x-thing"] == "a:b"


@given(st.sampled_from([FIXED, CHUNKED]), st.data())
def test_a_response_cut_anywhere_waits_for_the_rest(raw, data):
    cut = data.draw(st.integers(0, len(raw) - 1))
    assert parse_response(bytearray(raw[:cut])) is None


def test_a_bad_status_line_is_an_error():
    with pytest.raises(HttpError):
        parse_response(bytearray(b"SPDY/9 what\r\n\r\n"))


class _Server:
    """A loopback server that answers each request with ``pieces``, sent one by one, and
    closes the connection after ``close_after`` answers."""

    def __init__(self, pieces: list[bytes], close_after: int | None = None) -> None:
        self.pieces, self.close_after = pieces, close_after
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()
        await asyncio.sleep(0.05)  # the transports' closing callbacks run

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        served = 0
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                await reader.readexactly(length)
                for piece in self.pieces:
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)
                served += 1
                if self.close_after is not None and served >= self.close_after:
                    break
        writer.close()


def test_the_client_reads_responses_in_pieces_and_keeps_the_connection():
    async def main():
        async with _Server([CHUNKED[:20], CHUNKED[20:41], CHUNKED[41:]]) as port:
            client = Client(port)
            first = await client.request("POST", "/x", {"Content-Type": "text/plain"}, b"body")
            transport = client.transport
            second = await client.request("GET", "/y")
            assert client.transport is transport  # kept alive
            await client.close()
        return first, second

    first, second = asyncio.run(main())
    assert (first.status, first.body) == (200, b"abcdefg")
    assert (second.status, second.body) == (200, b"abcdefg")


def test_a_closed_connection_fails_the_request_and_the_next_one_reconnects():
    async def main():
        client = Client(0)
        async with _Server([FIXED[:10]], close_after=1) as port:  # half an answer, then close
            client.port = port
            with pytest.raises(EOFError):
                await client.request("GET", "/x")
            assert client.transport is None
        async with _Server([FIXED]) as port:
            client.port = port
            response = await client.request("GET", "/x")
            await client.close()
        return response

    response = asyncio.run(main())
    assert (response.status, response.body) == (201, b"hello")
