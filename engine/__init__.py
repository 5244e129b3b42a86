"""backprop-viz engine: a pure-NumPy multilayer perceptron that steps through backprop as the seed writes it.

No HTTP, no JSON, no sessions: the server reads the engine's records and state after each step.
"""
