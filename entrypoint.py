#!/usr/bin/env python3
"""Container entry: settings come from the environment (GLOBUS_*, GLOBUSPUT_*)."""

from globusput.cli import run

if __name__ == "__main__":
    run()
