"""Write the reviewed training examples (questions staff mapped to an FAQ) as a Rasa NLU file for the next
training: `python -m backend.reviewed_export [--out data/nlu/reviewed.yml]`. Nothing close to an evaluation question
under tests/nlu is written, nor anything the training data already teaches."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, TextIO

import yaml
from sqlalchemy.orm import sessionmaker

from backend import inbox
from backend.db import make_engine, make_session_factory, run_migrations
from reissue.answering.reviewed import Export, nlu_yaml, reduced, select_examples
from reissue.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "data" / "nlu" / "reviewed.yml"
TRAINING_DIR = ROOT / "data" / "nlu"
EVALUATION_DIR = ROOT / "tests" / "nlu"


def _texts(data: object) -> List[str]:
    """The questions of one YAML document: NLU examples (`nlu:`) or evaluation items (`items:`)."""
    if not isinstance(data, dict):
        return []
    texts = [str(item["text"]) for item in data.get("items") or [] if isinstance(item, dict) and item.get("text")]
    for block in data.get("nlu") or []:
        for line in str((block or {}).get("examples", "")).splitlines():
            if line.strip().startswith("- "):
                texts.append(line.strip()[2:].strip())
    return texts


def evaluation_texts(folder: Path) -> List[str]:
    """Every evaluation question under `folder` (all YAML files, recursively); the folder must exist."""
    if not folder.is_dir():
        raise FileNotFoundError(folder)
    return [text for path in sorted(folder.rglob("*.yml"))
            for text in _texts(yaml.safe_load(path.read_text(encoding="utf-8")))]


def trained_texts(folder: Path, out: Path) -> Dict[str, str]:
    """Reduced text → intent of every training example in `folder`, except the export's own file."""
    trained: Dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.resolve() == out.resolve():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            for line in str((block or {}).get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    trained.setdefault(reduced(line.strip()[2:]), str(block.get("intent")))
    return trained


def export(factory: sessionmaker, out: Path, training: Path = TRAINING_DIR,
           evaluation: Path = EVALUATION_DIR) -> Export:
    """Write the file `out` from the database behind `factory`; returns what was kept and left out."""
    candidates = [(row.faq_key, row.text) for row in inbox.reviewed_examples(factory)]
    result = select_examples(candidates, evaluation_texts(evaluation), trained_texts(training, out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(nlu_yaml(result.examples), encoding="utf-8")
    return result


def main(argv: Optional[List[str]] = None, out_stream: Optional[TextIO] = None) -> int:
    """Run one export against the configured database; 1 when the evaluation folder is missing."""
    parser = argparse.ArgumentParser(prog="python -m backend.reviewed_export", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--training", type=Path, default=TRAINING_DIR)
    parser.add_argument("--evaluation", type=Path, default=EVALUATION_DIR)
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    try:
        run_migrations(engine)
        result = export(make_session_factory(engine), args.out, args.training, args.evaluation)
    except FileNotFoundError as missing:
        sys.stderr.write(f"evaluation folder not found: {missing} (it is needed to keep its questions out)\n")
        return 1
    finally:
        engine.dispose()
    kept = sum(len(texts) for texts in result.examples.values())
    (out_stream or sys.stdout).write(f"{args.out}: {kept} examples under {len(result.examples)} FAQ keys; left out "
                     f"{result.near_evaluation} close to an evaluation question, {result.already_taught} already "
                     f"taught\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
