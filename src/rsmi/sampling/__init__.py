"""Stage 1, sampling: Wolff clusters for the critical Ising model (``ising``), the worm
algorithm for fully packed dimers with noise bits (``dimers``), exact enumeration of torus rows
(``exact_mi``), and the plain twins the tests compare the kernels against (``*_reference``)."""
