"""The one exception type whose message is shown to the user as-is (one line, no traceback)."""


class GanimateError(Exception):
    """A problem with the user's input or environment, phrased for the user."""
