"""One module a subcommand of the ``autograder`` CLI; each exposes ``register(subparsers)``."""
