"""How each claim of the paper is verified: the registry, the checks, the runner, the CLI."""
