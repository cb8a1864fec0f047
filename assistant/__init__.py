"""IoT SMM Assessment Assistant: assess an IoT system against the IIC IoT Security Maturity Model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iot-smm-assistant")
except PackageNotFoundError:  # running from a checkout without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
