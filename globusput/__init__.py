"""globusput: put build artifacts onto a Globus collection over HTTPS."""

__version__ = "1.0.0"
