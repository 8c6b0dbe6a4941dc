"""The one exception type whose message is shown to the user as-is (one line, no traceback)."""


class GanimateError(Exception):
    """A problem with the user's input or environment, phrased for the user."""


def run_script(main) -> None:
    """Run a `python -m` script's main(): a GanimateError becomes one line on stderr and exit status 1
    (the `ganimate` command does the same in ganimate.cli.main)."""
    import sys

    try:
        main()
    except GanimateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
