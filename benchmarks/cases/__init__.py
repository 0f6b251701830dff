"""The cases: ``headline`` (floor, our layer, baseline), ``peers``, ``frontend``, ``stream``: rows and targets."""
