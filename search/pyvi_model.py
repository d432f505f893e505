"""pyvi's word segmentation model, loaded without scikit-learn.

pyvi keeps its CRF as a pickled `sklearn_crfsuite.CRF`; unpickling that imports scikit-learn
and SciPy, most of a second at every process start (every `manage.py update` and first CLI
search paid it). All the pickle holds that tagging needs is the crfsuite model file's bytes,
so the scikit-learn classes are read into plain stand-ins and the bytes go straight to
python-crfsuite's Tagger, which is what `CRF.predict` calls. The bigram and trigram sets are
read from pyvi's `words.txt` as `pyvi.ViTokenizer` reads them. tests/test_analysis.py checks
the labels against pyvi's own model.
"""
from __future__ import annotations

import importlib.util
import pickle
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

MODEL_FILE = "pyvi3.pkl"
WORDS_FILE = "words.txt"


class PyviModel(NamedTuple):
    tagger: object  # pycrfsuite.Tagger
    bi_grams: frozenset[str]
    tri_grams: frozenset[str]
    model_bytes: bytes  # the tagger reads them in place: they must live as long as it does


class _StandIn:
    """Takes the pickled state of a scikit-learn or crfsuite helper class as its __dict__."""


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module.split(".")[0] in ("sklearn_crfsuite", "pycrfsuite", "sklearn"):
            return _StandIn
        return super().find_class(module, name)


def models_folder() -> Path:
    spec = importlib.util.find_spec("pyvi")  # without running pyvi's modules
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@lru_cache(maxsize=1)
def load() -> PyviModel:
    import pycrfsuite

    folder = models_folder()
    bi_grams, tri_grams = set(), set()
    # As ViTokenizer reads it: UTF-8, split on "\n" only, lines of two or three words.
    for token in (folder / WORDS_FILE).read_bytes().decode("utf-8").split("\n"):
        size = len(token.split(" "))
        if size == 2:
            bi_grams.add(token)
        elif size == 3:
            tri_grams.add(token)
    with open(folder / MODEL_FILE, "rb") as handle:
        crf = _ModelUnpickler(handle).load()
    model_bytes = crf.modelfile.__dict__["__FILE_RESOURCE_DATA__"]
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model_bytes)
    return PyviModel(tagger, frozenset(bi_grams), frozenset(tri_grams), model_bytes)
