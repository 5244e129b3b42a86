"""A reentrant lock that hands itself to waiting threads in the order they came.

A session's lock is held by play mode and training jobs for one chunk at a time, and they take it again at once.
`threading.RLock` is not fair: the thread that just released it (and still holds the GIL) wins it back nearly
every time, so a REST call or a WebSocket command waiting for the session could starve for minutes. With this
lock a release while others wait hands the lock to the longest waiter; the releasing thread queues behind it.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairRLock:
    """Reentrant like `threading.RLock`, first come first served when contended."""

    def __init__(self) -> None:
        self._state = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()  # thread idents waiting, oldest first

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock (again, if this thread holds it); False if not blocking or timed out."""
        me = threading.get_ident()
        if self._owner == me:  # only this thread sets or clears its own ownership: no need for the inner lock
            self._depth += 1
            return True
        with self._state:
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            if not blocking:
                return False
            self._queue.append(me)
            mine = self._state.wait_for(
                lambda: self._owner is None and self._queue[0] == me, None if timeout < 0 else timeout
            )
            if not mine:
                self._queue.remove(me)
                self._state.notify_all()  # the next in line may be free to go now
                return False
            self._queue.popleft()
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        """Give one level back; at the last one, the longest waiter (if any) gets the lock."""
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release a lock this thread does not hold")
        if self._depth > 1:  # an inner level: the owner's own business, as in `acquire`
            self._depth -= 1
            return
        with self._state:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                if self._queue:
                    self._state.notify_all()

    def held_by_me(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()
