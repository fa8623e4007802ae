"""Shared foundations every stage may import: atomic file I/O (``io``), per-job seeds
(``seeding``), numerically safe reductions (``numerics``), input checks (``validation``) and the
xoshiro256** generator of the numba kernels (``xoshiro``)."""
