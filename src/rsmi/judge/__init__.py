"""Stage 5, judging: every criterion threshold (``thresholds``), figure criteria as numbers
(``metrics``), null tests (``nulltests``), estimators against the exact torus (``torus``),
statistics (``stats``), and the tidy rows with their verdicts, claims and findings (``tables``)."""
