"""The demo community that ships with the package; app factory ``community_segments.demo:create_app``."""

from .app import create_app

__all__ = ["create_app"]
