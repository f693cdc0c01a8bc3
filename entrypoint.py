#!/usr/bin/env python3
"""Container entry: settings come from the environment (GLOBUS_*, GLOBUSPUT_*)."""

import sys

from globusput.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
