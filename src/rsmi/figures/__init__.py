"""Stage 7, figures: drawing every figure (``plotting``) and their captions (``report``)."""
