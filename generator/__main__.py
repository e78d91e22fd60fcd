import os
import sys

from generator.cli import main

status = main()
if "tensorflow" in sys.modules:
    # Every file is written and closed by now; TensorFlow's own teardown (its thread pools,
    # about a second on 2 cores) does nothing this process still needs, so it is skipped.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
raise SystemExit(status)
