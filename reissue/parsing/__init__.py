"""Pure parsers for what applicants type in Chinese: each returns a small result and never raises."""
from reissue.parsing.result import Parsed

__all__ = ["Parsed"]
