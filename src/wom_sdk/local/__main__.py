"""``python -m wom_sdk.local``: run the bundled local server in the foreground."""

import sys

from ._server import main

if __name__ == "__main__":
    sys.exit(main())
