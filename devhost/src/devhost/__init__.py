"""devhost: run an Azure Functions Python app with Durable Functions on one machine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("devhost")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
