"""Proof of the oracle (`python -m mutation`, `nox -s mutation`): seed each plausible defect of
`defects.DEFECTS` into a temporary copy of the package, run verify (`contracts.engine`) and the
contracts against the mutated server, and report how many defects each catches. See
contracts/README.md ("How good is the oracle")."""
