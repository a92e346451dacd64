"""A local, disk-backed S3 server (SeaweedFS) that bte starts and stops itself."""

from emulator.locals3.weed import INSTALL_HINT, WeedError, WeedServer, weed_binary

__all__ = ["INSTALL_HINT", "WeedError", "WeedServer", "weed_binary"]
