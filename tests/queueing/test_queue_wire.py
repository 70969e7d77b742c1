"""What leaves the hall service's socket (issue 16): an answer's head and body go out in one TCP
segment, pipelined answers keep their order, and an answer that ends the connection arrives
whole before the close. The client is a raw socket against a real ``main.py hall-server``; the
segments are counted by the client's kernel (``TCP_INFO``'s ``tcpi_data_segs_in``)."""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hall_process import HallProcess

# struct tcp_info (linux/tcp.h, stable ABI): tcpi_data_segs_in, a __u32 at byte 152 (Linux 4.6+)
DATA_SEGS_IN = 152


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallProcess]:
    with HallProcess(Path(tmp_path_factory.mktemp("wire")) / "hall") as h:
        yield h


def _data_segments_in(s: socket.socket) -> int:
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < DATA_SEGS_IN + 4:
        pytest.skip("this kernel's TCP_INFO has no tcpi_data_segs_in")
    return int(struct.unpack_from("I", info, DATA_SEGS_IN)[0])


def _answers(s: socket.socket, n: int) -> list[tuple[bytes, bytes]]:
    """Read ``n`` whole answers (status line, body) off ``s``."""
    buf, out = b"", []
    while len(out) < n:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buf[:head_end]
            match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            assert match, head
            end = head_end + 4 + int(match.group(1))
            if len(buf) >= end:
                out.append((head.split(b"\r\n", 1)[0], buf[head_end + 4:end]))
                buf = buf[end:]
                continue
        chunk = s.recv(65536)
        assert chunk, f"closed after {len(out)} of {n} answers"
        buf += chunk
    assert buf == b""
    return out


def test_each_answer_leaves_in_one_segment(hall: HallProcess) -> None:
    with socket.create_connection(("127.0.0.1", hall.port), timeout=10) as s:
        before = _data_segments_in(s)
        for _ in range(5):
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n")
            ((status, body),) = _answers(s, 1)
            assert status == b"HTTP/1.1 200 OK" and body.startswith(b"{")
        assert _data_segments_in(s) - before == 5


def test_pipelined_answers_keep_their_order_and_the_last_arrives_before_the_close(hall: HallProcess) -> None:
    token = hall.token("display")
    with socket.create_connection(("127.0.0.1", hall.port), timeout=10) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n\r\n"
                  b"GET /api/v1/nowhere HTTP/1.1\r\nHost: hall\r\n\r\n"
                  + f"GET /api/v1/display HTTP/1.1\r\nHost: hall\r\nAuthorization: Bearer {token}\r\n"
                    "Connection: close\r\n\r\n".encode())
        (s1, _), (s2, _), (s3, display) = _answers(s, 3)
        assert (s1, s2, s3) == (b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 200 OK")
        assert b'"counters"' in display or display.startswith(b"{")
        assert s.recv(1) == b""  # then the close, and nothing after it
