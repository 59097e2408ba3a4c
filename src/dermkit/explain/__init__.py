"""Explanations: clinical ABCD features from lesion masks (:mod:`dermkit.explain.abcd`)."""
