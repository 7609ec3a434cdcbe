"""Per-file consent: shows minors, consent state, private consent documents, the featuring/release check."""
