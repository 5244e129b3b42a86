"""backprop-viz server: FastAPI sessions, REST and WebSocket around the NumPy engine (no math here)."""

__version__ = "0.1.0"
