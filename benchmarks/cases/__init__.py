"""The cases, one module each: ``headline`` (the floor, our layer's named configurations, the
baseline's headline rows), ``peers`` (kapre, spec-augment 0.0.3), ``frontend`` (the melspectrogram
frontends) and ``stream`` (batches of changing length). A case gives rows (``harness.Row``) and targets.
"""
