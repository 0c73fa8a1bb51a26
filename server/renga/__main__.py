import sys

from renga.cli import main

sys.exit(main())
