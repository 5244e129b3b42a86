"""Sessions: one network being trained, shared by REST, the WebSocket, play mode and training jobs.

building.py    a session from a request: defaults, limits, the engine objects
presenting.py  a session on the wire: state, counters, metrics, records, focus sample, data, boundary
export.py      a session as one JSON document and back (export, import, the store)
session.py     the Session: its commands, each under the session's lock, and their refusals
"""

from app.sessions.session import Session

__all__ = ["Session"]
