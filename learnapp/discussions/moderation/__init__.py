"""The sensitive-word engine: normalise, then Aho–Corasick over the word lists in the database."""
