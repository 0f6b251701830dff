"""The cases: ``headline`` (floor, our layer, baseline), ``peers``, ``frontend``, ``stream``; each gives rows and targets."""
