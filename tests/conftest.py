"""Settings every test process shares: Starlette's TestClient sends `Host: testserver`, a name no server of ours
is bound to, so the tests' apps accept it as an extra allowed host (BACKPROP_VIZ_ALLOWED_HOSTS). Tests of the
Host check build their settings with `allowed_hosts=[]`."""

from __future__ import annotations

import os

os.environ.setdefault("BACKPROP_VIZ_ALLOWED_HOSTS", '["testserver"]')
