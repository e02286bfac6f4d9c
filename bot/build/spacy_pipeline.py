"""Build the spaCy Chinese pipeline: blank zh, jieba segmenter, entity ruler from the project lexicon."""
from __future__ import annotations

import sys

from reissue.lexicon import ruler_patterns
from reissue.settings import PROJECT_ROOT

OUTPUT_DIR = PROJECT_ROOT / "build" / "spacy" / "zh_reissue"
LABELS = ("qualification", "level", "city")


def load_user_dictionary() -> None:
    """Teach the global jieba tokenizer (which spaCy's zh segmenter uses) every lexicon term."""
    import jieba

    from bot.build.jieba_dict import write_dictionary

    jieba.load_userdict(str(write_dictionary()))


def build_pipeline():  # -> spacy.language.Language (spaCy imported lazily)
    """A fresh pipeline whose entity ruler knows every lexicon term."""
    import spacy

    load_user_dictionary()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(ruler_patterns())
    return nlp


def main() -> int:
    """Build the pipeline to build/spacy/zh_reissue (for inspection and the lookup tool)."""
    nlp = build_pipeline()
    OUTPUT_DIR.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(OUTPUT_DIR)
    print(OUTPUT_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
