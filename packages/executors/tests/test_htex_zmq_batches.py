"""How frames are packed into ZeroMQ message parts, over real sockets on loopback."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
import zmq

from parsl.executors.high_throughput.errors import MalformedMessage
from parsl.executors.high_throughput.protocol import Heartbeat, decode
from parsl.executors.high_throughput.zmq_batches import (
    BATCH_MAGIC,
    PACK_LIMIT,
    pack,
    receive_batches,
    send_frames,
    unpack,
)

pytestmark = pytest.mark.timeout(30)


def frames_of(*sizes: int) -> list[bytes]:
    return [bytes([i % 251]) * size for i, size in enumerate(sizes)]


@pytest.mark.parametrize(
    "sizes",
    [(), (10,), (10, 20), (0, 0, 0), (10, PACK_LIMIT, 5), (PACK_LIMIT,), (PACK_LIMIT, PACK_LIMIT)],
)
def test_pack_then_unpack_gives_the_same_frames_in_order(sizes: tuple[int, ...]) -> None:
    frames = frames_of(*sizes)
    parts = pack(frames)
    assert [f for part in parts for f in unpack(part)] == frames


def test_small_frames_share_one_part_and_large_ones_travel_alone() -> None:
    frames = frames_of(10, 20, PACK_LIMIT, 30, 40)
    parts = pack(frames)
    assert len(parts) == 3
    assert parts[0].startswith(BATCH_MAGIC) and parts[2].startswith(BATCH_MAGIC)
    assert parts[1] is frames[2], "a large frame is sent as it is, never copied into a batch"


def test_a_lone_small_frame_goes_as_itself() -> None:
    frame = Heartbeat(manager_id="m").encode()
    assert pack([frame]) == [frame]
    assert unpack(frame) == [frame]


@pytest.mark.parametrize(
    "damaged",
    [BATCH_MAGIC + b"\x00\x00", BATCH_MAGIC + struct.pack(">I", 10) + b"short"],
)
def test_a_damaged_batch_part_is_a_clear_error(damaged: bytes) -> None:
    with pytest.raises(MalformedMessage, match="truncated"):
        unpack(damaged)


@pytest.fixture
def pair() -> Iterator[tuple[zmq.Socket[bytes], zmq.Socket[bytes]]]:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, b"peer-1")
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer.connect(f"tcp://127.0.0.1:{port}")
    try:
        yield router, dealer
    finally:
        router.close(linger=0)
        dealer.close(linger=0)
        ctx.term()


def test_frames_cross_dealer_and_router_both_ways(
    pair: tuple[zmq.Socket[bytes], zmq.Socket[bytes]],
) -> None:
    router, dealer = pair
    frames = frames_of(5, PACK_LIMIT + 1, 7, 9)
    send_frames(dealer, frames)
    send_frames(dealer, frames[:1])
    assert router.poll(5000)
    got: list[list[bytes]] = []
    while len(got) < 2 and router.poll(5000):
        got += receive_batches(router, router=True)
    assert got == [[b"peer-1", *frames], [b"peer-1", frames[0]]]

    send_frames(router, frames[::-1], b"peer-1")
    assert dealer.poll(5000)
    assert receive_batches(dealer) == [frames[::-1]]
    assert receive_batches(dealer) == [], "nothing waiting: returns at once, empty"


def test_old_style_multipart_messages_are_still_read_frame_by_frame(
    pair: tuple[zmq.Socket[bytes], zmq.Socket[bytes]],
) -> None:
    """A peer of an older protocol sends one part per frame; it must still be decoded (and refused)."""
    router, dealer = pair
    frames = [Heartbeat(manager_id="a").encode(), Heartbeat(manager_id="b").encode()]
    dealer.send_multipart(frames)
    assert router.poll(5000)
    (message,) = receive_batches(router, router=True)
    assert [decode(f) for f in message[1:]] == [decode(f) for f in frames]


def test_a_damaged_batch_is_passed_on_whole_for_the_decoder_to_refuse(
    pair: tuple[zmq.Socket[bytes], zmq.Socket[bytes]],
) -> None:
    router, dealer = pair
    damaged = BATCH_MAGIC + struct.pack(">I", 99) + b"0123456789"
    dealer.send(damaged)
    assert router.poll(5000)
    assert receive_batches(router, router=True) == [[b"peer-1", damaged]]
    with pytest.raises(MalformedMessage, match="PHTB"):
        decode(damaged)


def test_sending_nothing_sends_no_message(
    pair: tuple[zmq.Socket[bytes], zmq.Socket[bytes]],
) -> None:
    router, dealer = pair
    send_frames(dealer, [])
    send_frames(dealer, frames_of(3))
    assert router.poll(5000)
    assert receive_batches(router, router=True) == [[b"peer-1", frames_of(3)[0]]]
