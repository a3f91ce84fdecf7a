"""``python -m graphfields`` is the ``graphfields`` command."""

import sys

from graphfields.cli import main

sys.exit(main())
