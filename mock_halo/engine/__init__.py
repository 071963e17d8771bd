"""The engine: machinery that knows nothing of Halo's resources: indexes, listing, word search, sorting,
locking, the wire check and JSON encoding, streamed JSON pieces, GIL pacing, retiring big stores, the
sandbox clock, the fault plane and rate limiter, and the request journal. It imports neither the domain
nor the HTTP wing (import-linter: "The mock's wings")."""
