"""One module per command, each with ``run(settings, reporter)``: the layer a newcomer reads
first. :mod:`globusput.cli` imports a command's module only once it is chosen, so ``--help``
never loads the HTTP stack or globus-sdk."""
