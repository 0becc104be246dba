from __future__ import annotations

import sys
from pathlib import Path

# No __init__.py in test dirs: make `import rel_helpers` work however pytest imports this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))
