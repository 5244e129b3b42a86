"""The play loop alone, with fake callbacks and a fake clock (no session, no sockets, no wall-clock time): chunks
that grow to one frame of work, a stop that takes effect within the chunk in progress, pacing to a finite speed
without bursts after a slow spell, a speed changed while playing, the boundary at most BOUNDARY_RATE times a
second, and divergence or a failure ending play with its owner told."""

from __future__ import annotations

import ast
import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path

import app.play
from app.play import BOUNDARY_RATE, TRAINING_PER_BOUNDARY, Chunk, Player
from app.scheduler import Scheduler


class FakeClock:
    """Monotonic time that moves only when the player sleeps or a fake chunk trains."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Call:
    passes: int
    boundary: bool
    time: float


@dataclass
class Owner:
    """The player's callbacks, recording every call: training takes `seconds_per_pass` of fake time; the
    `chunks`-th call finds play stopped from elsewhere; `diverge_at` / `fail_at` end it from inside."""

    clock: FakeClock = field(default_factory=FakeClock)
    seconds_per_pass: float = 0.0
    boundary_seconds: float = 0.0  # what a boundary takes to make and serialize
    chunks: int = 20
    diverge_at: int | None = None
    fail_at: int | None = None
    calls: list[Call] = field(default_factory=list)
    ends: list[bool] = field(default_factory=list)
    finished: list[Player] = field(default_factory=list)
    scheduler: Scheduler = field(init=False)

    def __post_init__(self) -> None:
        # One training thread on the fake clock: waiting for a slice's time advances it.
        self.scheduler = Scheduler(1, clock=self.clock, sleep=self.clock.sleep)

    def train(self, passes: int, boundary: bool, frame: bool = True) -> Chunk | None:
        self.calls.append(Call(passes, boundary, self.clock.now))
        number = len(self.calls)
        if number == self.fail_at:
            raise RuntimeError("the engine failed")
        if number >= self.chunks:
            return None
        seconds = passes * self.seconds_per_pass
        self.clock.now += seconds
        boundary_seconds = self.boundary_seconds if boundary else 0.0
        self.clock.now += boundary_seconds
        return Chunk(passes, seconds, diverged=number == self.diverge_at, boundary_seconds=boundary_seconds)

    def end(self, stopped: bool) -> None:
        self.ends.append(stopped)

    def player(self, speed: float | None, frame_rate: float = 8.0, chunk: int = 1) -> Player:
        """A player on these callbacks (call in the event loop)."""
        return Player(
            speed,
            frame_rate=frame_rate,
            chunk=chunk,
            train=self.train,
            end=self.end,
            finished=self.finished.append,
            scheduler=self.scheduler,
            clock=self.clock,
        )

    def play(self, speed: float | None, frame_rate: float = 8.0, chunk: int = 1) -> Player:
        """Run a player until it ends by itself; fails (instead of hanging) if it never does."""

        async def run() -> Player:
            player = self.player(speed, frame_rate, chunk)
            player.start()
            await asyncio.wait_for(player.ended(), timeout=60)
            return player

        return asyncio.run(run())

    @property
    def passes(self) -> list[int]:
        return [c.passes for c in self.calls]


def test_chunks_grow_at_most_4x_until_they_take_about_one_frame_of_work():
    owner = Owner(seconds_per_pass=1 / 1024, chunks=8)  # 128 passes take one frame (1/8 s)
    player = owner.play(speed=None, frame_rate=8.0)
    assert owner.passes == [1, 4, 16, 64, 128, 128, 128, 128]  # the 8th found play stopped: nothing ran
    assert player.chunk == 128  # the next play starts from it
    assert player.frames == 7 and player.passes == 1 + 4 + 16 + 64 + 3 * 128
    assert owner.clock.sleeps == []  # at max speed it never waits


def test_stopped_from_elsewhere_it_ends_by_itself_and_tells_its_owner_once():
    owner = Owner(chunks=3)
    player = owner.play(speed=None)
    assert len(owner.calls) == 3
    assert owner.ends == [False] and owner.finished == [player] and player.finished


def test_a_stop_takes_effect_within_the_chunk_in_progress():
    owner = Owner(chunks=10**9)
    in_third_chunk, release = threading.Event(), threading.Event()
    train = owner.train

    def blocking_train(passes: int, boundary: bool, frame: bool = True) -> Chunk | None:
        if len(owner.calls) == 2:  # this is the third chunk
            in_third_chunk.set()
            release.wait()
        return train(passes, boundary, frame)

    owner.train = blocking_train  # type: ignore[method-assign]

    async def pause_during_the_third_chunk() -> Player:
        player = owner.player(speed=None)
        player.start()
        assert await asyncio.to_thread(in_third_chunk.wait, 60)
        stopping = asyncio.create_task(player.stop())
        await asyncio.sleep(0)  # the stop is asked for while the chunk is still training
        release.set()
        await asyncio.wait_for(stopping, timeout=60)
        return player

    player = asyncio.run(pause_during_the_third_chunk())
    assert len(owner.calls) == 3  # the chunk in progress finished; no other began
    assert player.frames == 3 and owner.ends == [True] and owner.finished == [player]


def test_a_finite_speed_is_paced_one_frame_at_a_time_and_never_ahead():
    speed, frame_rate = 128.0, 8.0  # 16 passes due per frame of 1/8 s
    owner = Owner(chunks=25)
    owner.play(speed, frame_rate)
    calls = owner.calls
    assert [c.time for c in calls] == [k / frame_rate for k in range(len(calls))]  # one frame every 1/8 s
    assert calls[0].passes == 1  # the first pass right away
    assert [c.passes for c in calls[4:-1]] == [16] * (len(calls) - 5)  # then the speed, frame after frame
    done = 0
    for call in calls[:-1]:
        done += call.passes
        assert done <= speed * call.time + 1, "ahead of the speed asked for"


def test_a_speed_slower_than_the_frame_rate_sends_a_frame_per_pass_when_due():
    owner = Owner(chunks=6)
    owner.play(speed=2.0, frame_rate=8.0)
    assert owner.passes == [1, 1, 1, 1, 1, 1]
    assert [c.time for c in owner.calls] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_a_machine_too_slow_for_the_speed_runs_flat_out_without_a_burst_afterwards():
    owner = Owner(chunks=40, seconds_per_pass=1 / 256)  # can do 256 passes a second; 1024 are asked for
    train = owner.train

    def faster_after_20_chunks(passes: int, boundary: bool, frame: bool = True) -> Chunk | None:
        if len(owner.calls) == 20:
            owner.seconds_per_pass = 0.0
        return train(passes, boundary, frame)

    owner.train = faster_after_20_chunks  # type: ignore[method-assign]
    owner.play(speed=1024.0, frame_rate=8.0)
    slow, fast = owner.calls[:20], owner.calls[20:-1]
    assert max(c.passes for c in slow) == 32  # one frame of work at 256 passes a second
    assert all(c.passes <= 1024 / 8 + 1 for c in fast)  # the debt of the slow spell is forgotten
    assert [c.passes for c in fast[-5:]] == [128] * 5  # and the speed is kept from then on


def test_a_speed_changed_while_playing_paces_from_then_on():
    owner = Owner(chunks=12)
    train = owner.train
    players: list[Player] = []

    def speed_up_during_the_4th_chunk(passes: int, boundary: bool, frame: bool = True) -> Chunk | None:
        if len(owner.calls) == 3:
            players[0].speed = None
        return train(passes, boundary, frame)

    owner.train = speed_up_during_the_4th_chunk  # type: ignore[method-assign]

    async def run() -> None:
        player = owner.player(speed=2.0, frame_rate=8.0)
        players.append(player)
        player.start()
        await asyncio.wait_for(player.ended(), timeout=60)

    asyncio.run(run())
    assert owner.passes[:4] == [1, 1, 1, 1]  # 2 passes a second: one per frame, the 4th one's wait included
    assert owner.clock.sleeps == [0.5] * 4  # no more waiting once at max,
    assert owner.passes[4:9] == [4, 16, 64, 256, 1024]  # where full chunks grow (training is instant here)


def test_the_boundary_rides_along_at_most_boundary_rate_times_a_second():
    owner = Owner(chunks=200, seconds_per_pass=1 / 65536)  # 1/8-s frames: the chunk grows to 8192 passes
    owner.play(speed=None, frame_rate=64.0)  # 1/64-s frames: a boundary every 7th frame or so
    with_boundary = [c.time for c in owner.calls[:-1] if c.boundary]
    assert owner.calls[0].boundary  # the first frame has one
    gaps = [b - a for a, b in itertools.pairwise(with_boundary)]
    assert gaps and min(gaps) >= 1 / BOUNDARY_RATE
    assert len(with_boundary) < len(owner.calls) // 4


def test_a_costly_boundary_waits_until_the_session_has_trained_for_it():
    """A boundary that takes 10 ms to make comes again only after TRAINING_PER_BOUNDARY × 10 ms of training, however
    long ago in wall time the last one was (sessions sharing the training threads train a fraction of the time)."""
    owner = Owner(chunks=60, seconds_per_pass=0.001, boundary_seconds=0.01)  # chunks grow to 125 passes (1/8 s)
    owner.play(speed=None, frame_rate=8.0)
    calls = owner.calls[:-1]
    with_boundary = [k for k, c in enumerate(calls) if c.boundary]
    assert with_boundary[0] == 0
    for a, b in itertools.pairwise(with_boundary):
        trained = sum(c.passes for c in calls[a + 1 : b]) * owner.seconds_per_pass
        due = TRAINING_PER_BOUNDARY * owner.boundary_seconds  # seconds of training in between
        assert trained >= due
        assert sum(c.passes for c in calls[a + 1 : b - 1]) * owner.seconds_per_pass < due  # and no more than due
    assert len(with_boundary) >= 5


def test_divergence_ends_play_after_that_chunk():
    owner = Owner(diverge_at=3)
    player = owner.play(speed=None)
    assert len(owner.calls) == 3 and player.frames == 3
    assert owner.ends == [False] and owner.finished == [player] and player.finished


def test_a_failure_ends_play_and_still_tells_the_owner():
    owner = Owner(fail_at=2)
    player = owner.play(speed=None)
    assert len(owner.calls) == 2 and player.frames == 1
    assert owner.ends == [False] and owner.finished == [player]


def test_the_player_knows_nothing_of_the_hub():
    tree = ast.parse(Path(app.play.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith(("app.hub", "app.commands", "app.client"))}
