"""globusput: put build artifacts onto a Globus collection over HTTPS."""

__version__ = "0.1.0"
