"""REST routers: sessions, datasets, health (and the page; the WebSocket router lives in `ws.py`)."""
