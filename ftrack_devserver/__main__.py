import sys

from ftrack_devserver.cli import main

sys.exit(main())
