"""Write the jieba user dictionary (build/jieba/userdict.txt) from the project's lexicon."""
from __future__ import annotations

import sys
from pathlib import Path

from reissue.lexicon import jieba_entries
from reissue.settings import PROJECT_ROOT

OUTPUT_DIR = PROJECT_ROOT / "build" / "jieba"


def write_dictionary(output_dir: Path = OUTPUT_DIR) -> Path:
    """Write the dictionary file (only when its content changed) and return its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "userdict.txt"
    text = "\n".join(sorted(set(jieba_entries()))) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    """Command-line entry point."""
    print(write_dictionary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
