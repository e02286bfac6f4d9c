"""Write what staff reviewed for the next release: the questions mapped to an FAQ as a Rasa NLU file
(`--out data/nlu/reviewed.yml`; nothing close to an evaluation question under tests/nlu, nor anything the training
data already teaches), and the look-alikes marked out of scope as documents lexicon entries
(`--documents reissue/lexicon/documents_reviewed.yml`; no alias in which the lexicon already reads one of this
service's qualifications, or that it reads as a look-alike it has). `python -m backend.reviewed_export`."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, TextIO

import yaml
from sqlalchemy.orm import sessionmaker

from backend import inbox
from backend.db import make_engine, make_session_factory, run_migrations
from backend.workspace_models import ReviewedDocument
from reissue.answering.reviewed import Export, nlu_yaml, reduced, select_examples
from reissue.lexicon.documents import NO_SOURCE, QUALIFICATION, REVIEWED_PATH, mentions
from reissue.parsing.text import clean
from reissue.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "data" / "nlu" / "reviewed.yml"
TRAINING_DIR = ROOT / "data" / "nlu"
EVALUATION_DIR = ROOT / "tests" / "nlu"
# Keys of the exported look-alikes: this prefix and the decision's row id (documents.yml uses none like it).
KEY_PREFIX = "reviewed_"
DOCUMENTS_HEADER = (
    "# Look-alikes staff marked out of scope in the inbox, written by `python -m backend.reviewed_export` for the\n"
    "# next release (not kept in the repository). Merged after documents.yml, whose keys win; the fields are those of\n"
    "# documents.yml (a referral resting on a rule only has source \"no source found\" and the rule as document).\n"
)


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


@dataclass(frozen=True)
class LeftOut:
    """An alias of a reviewed look-alike the export left out, and whose it already is."""

    key: str
    alias: str
    owner: str  # "qualification:<key>" inside the alias, "document:<key>" or an earlier "reviewed_<id>" as a whole

    def __str__(self) -> str:
        """One line of the command's report."""
        return f"{self.key} {self.alias!r} ({self.owner})"


@dataclass
class DocumentsExport:
    """The look-alike entries written, by key, and the aliases left out (an entry whose name is left out goes)."""

    entries: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    left_out: List[LeftOut] = field(default_factory=list)


def _folded(text: str) -> str:
    """The form the lexicon compares aliases in."""
    return clean(text).lower()


def lexicon_owner(alias: str) -> Optional[str]:
    """Whose `alias` already is in the lexicon: a qualification of this service read anywhere in it, or a look-alike
    (of documents.yml) read as the whole of it; None when it is new. Earlier reviewed look-alikes do not count."""
    found = mentions(alias)
    qualification = next((m for m in found if m.kind == QUALIFICATION), None)
    if qualification is not None:
        return f"{QUALIFICATION}:{qualification.key}"
    whole = len(found) == 1 and found[0].start == 0 and found[0].end == len(_folded(alias))
    if whole and not found[0].key.startswith(KEY_PREFIX):
        return f"document:{found[0].key}"
    return None


def _entry(row: ReviewedDocument, aliases: Sequence[str]) -> Dict[str, Any]:
    """One documents lexicon entry: a public page is its source; a rule only is its `document`."""
    entry: Dict[str, Any] = {"name": row.name, "category": row.category, "aliases": list(aliases),
                             "authority": row.authority}
    if inbox.URL.match(row.source):
        entry["source"] = row.source
    else:
        entry.update(source=NO_SOURCE, document=row.source)
    return entry


def select_documents(rows: Sequence[ReviewedDocument]) -> DocumentsExport:
    """The lexicon entries of reviewed look-alikes, oldest decision first: every alias the lexicon (or an earlier
    decision) already owns is left out, and so is an entry whose name is."""
    result = DocumentsExport()
    taken: Dict[str, str] = {}
    for row in rows:
        key = f"{KEY_PREFIX}{row.id}"
        kept: List[str] = []
        for alias in dict.fromkeys([row.name, *json.loads(row.aliases or "[]")]):
            owner = taken.get(_folded(alias)) or lexicon_owner(alias)
            if owner is None:
                kept.append(alias)
            else:
                result.left_out.append(LeftOut(key, alias, owner))
        if kept and kept[0] == row.name:
            taken.update((_folded(alias), key) for alias in kept)
            result.entries[key] = _entry(row, kept)
    return result


def documents_yaml(entries: Dict[str, Dict[str, Any]]) -> str:
    """The text of documents_reviewed.yml."""
    body = yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False, width=1000)
    return DOCUMENTS_HEADER + body


def export_documents(factory: sessionmaker, out: Path = REVIEWED_PATH) -> DocumentsExport:
    """Write the reviewed look-alikes to `out`; with none, no file is left there (the lexicon is documents.yml)."""
    result = select_documents(inbox.reviewed_documents(factory))
    if result.entries:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(documents_yaml(result.entries), encoding="utf-8")
    elif out.exists():
        out.unlink()
    return result


def main(argv: Optional[List[str]] = None, out_stream: Optional[TextIO] = None) -> int:
    """Run one export against the configured database; 1 when the evaluation folder is missing."""
    parser = argparse.ArgumentParser(prog="python -m backend.reviewed_export", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--training", type=Path, default=TRAINING_DIR)
    parser.add_argument("--evaluation", type=Path, default=EVALUATION_DIR)
    parser.add_argument("--documents", type=Path, default=REVIEWED_PATH)
    args = parser.parse_args(argv)
    stream = out_stream or sys.stdout
    engine = make_engine(get_settings().database_url)
    try:
        run_migrations(engine)
        factory = make_session_factory(engine)
        result = export(factory, args.out, args.training, args.evaluation)
        documents = export_documents(factory, args.documents)
    except FileNotFoundError as missing:
        sys.stderr.write(f"evaluation folder not found: {missing} (it is needed to keep its questions out)\n")
        return 1
    finally:
        engine.dispose()
    kept = sum(len(texts) for texts in result.examples.values())
    stream.write(f"{args.out}: {kept} examples under {len(result.examples)} FAQ keys; left out "
                 f"{result.near_evaluation} close to an evaluation question, {result.already_taught} already "
                 f"taught\n")
    stream.write(f"{args.documents}: {len(documents.entries)} look-alikes"
                 f"{'' if documents.entries else ' (no file)'}; left out {len(documents.left_out)} aliases the "
                 f"lexicon already has\n")
    for left in documents.left_out:
        stream.write(f"  left out: {left}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
