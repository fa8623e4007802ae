"""Stage 2, windows: the visible block V, buffer B and environment E cut from stored
configurations (``regions``), and the train / held-out split grouped by configuration (``data``)."""
