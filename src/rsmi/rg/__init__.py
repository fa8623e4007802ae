"""Stage 6, renormalisation group: Monte Carlo RG exponents (``mcrg``) and the flow away from
T_c (``rgflow``) for Fig. 7."""
