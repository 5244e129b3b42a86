"""backprop-viz from Python: serve the app in this process, drive sessions from code while the page (in a
notebook cell, or a browser) animates them, and take PyTorch models in and out.

>>> import backprop_viz as bv
>>> s = bv.show(layers=[2, 8, 1], dataset={"builtin": "circles"})  # the page in the cell below  # doctest: +SKIP
>>> s.step("pass")                                                  # it animates the pass        # doctest: +SKIP
>>> s.train(epochs=50)                                              # with a progress bar         # doctest: +SKIP
>>> s.predict([[0.5, -0.2]])                                                                     # doctest: +SKIP

In notebooks: `%load_ext backprop_viz`, then `%backprop_viz 2 8 8 1 --dataset circles`. docs/python.md has it all.
"""

from app import __version__
from backprop_viz.client import BackpropVizError, Client, connect
from backprop_viz.display import show
from backprop_viz.magic import load_ipython_extension
from backprop_viz.pytorch import UnsupportedModel, from_torch
from backprop_viz.records import PhaseRecord
from backprop_viz.server import Server, running_server, serve
from backprop_viz.session import Data, Session

__all__ = [
    "BackpropVizError",
    "Client",
    "Data",
    "PhaseRecord",
    "Server",
    "Session",
    "UnsupportedModel",
    "__version__",
    "connect",
    "from_torch",
    "load_ipython_extension",
    "running_server",
    "serve",
    "show",
]
