"""Diagnostics: why a network learns or does not (pure NumPy, like the rest of the engine).

| module | one job |
|---|---|
| `probeset.py` | the fixed probe batch every statistic is measured on (size cap documented there) |
| `stats.py` | per-layer statistics of one moment: norms, update ratio, dead and saturated units, histogram values |
| `histograms.py` | bins fixed from the initial state and widened (old counts re-binned exactly) |
| `flags.py` | health flags with their thresholds and where those come from |
| `tracker.py` | a session's measurements over time: histograms on fixed bins, a bounded history, the latest flags |
| `units.py` | what each unit computes: over the input plane, or the probe in the layer's (PCA-projected) space |
| `landscape.py` | the loss surface around the weights (Li et al. 2018), the training path on it, a slice along −∇J |
| `evaluation.py` | confusion matrices; R² and predicted-vs-actual |
| `stopping.py` | stop conditions for training runs: a loss target, patience |
"""
