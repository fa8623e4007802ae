"""Stage 4, the coarse-graining network Λ: the paper's proxy A_Λ with its exact, Monte Carlo
and pooled paths behind one trainer (``network``; the pooled path in ``pooled``, the kernels in
``kernels``), the variational (Barber–Agakov) estimator (``variational``), the classifier bound
of I(H:E) that scores any filter (``mi``; the variational scorer and the judges both fit its
logistic regressions), and the one result type the trainers return (``results.FilterResult``)."""
