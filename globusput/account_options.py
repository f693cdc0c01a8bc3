"""The words of ``login``, ``logout`` and ``whoami``: the Native App login of a person."""

from __future__ import annotations

import argparse

from globusput.options import _env_help


def build_account_parser(command: str) -> argparse.ArgumentParser:
    """``login``, ``logout`` and ``whoami``: the Native App login of a person."""
    descriptions = {
        "login": "Log in to Globus as yourself; tokens are stored for later uploads.",
        "logout": "Revoke the stored Globus tokens and delete them.",
        "whoami": "Show the Globus identity the stored tokens belong to.",
    }
    parser = argparse.ArgumentParser(prog=f"globusput {command}", description=descriptions[command])
    if command == "login":
        parser.add_argument(
            "collections",
            nargs="*",
            metavar="COLLECTION_ID",
            help="also consent now to uploading to these collections",
        )
        parser.add_argument(
            "-n",
            "--no-browser",
            action="store_const",
            const=True,
            help=_env_help("print a URL and read the code", "no_browser"),
        )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const=True,
        help=_env_help("more detail", "verbose"),
    )
    return parser
