"""Several app processes behind one router (`backprop-viz serve --workers N`): each session lives on one worker.

- `router.py`: the ASGI app the public port serves: every request and WebSocket naming a session, an uploaded data
  set or a watch link goes to the worker that owns its id (app/shards.py); anything else to any live worker;
  `/api/health` and the list of data sets gather every worker's answer.
- `supervisor.py`: starts the workers, each an ordinary app on a Unix socket in a private directory, and starts a
  worker again when it dies (it restores its sessions from their last checkpoint, as after a restart).
- `worker.py`: one worker process's entry point.
- `peers.py`: a worker reading a data set another worker owns (a session on worker 1 built from an upload on 0).
- `cpus.py`: how many CPUs the process may use (`BACKPROP_VIZ_WORKERS=auto`).
"""
