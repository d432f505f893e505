"""Where Whoosh's unpickler finds our text field: each generation's table of contents names it
`search.index.VietnameseText` (its home before search/store/), kept so generations stay byte
for byte those of earlier versions. The write path is search/build.py, the format search/store/."""
from .store.schema import VietnameseText

__all__ = ["VietnameseText"]
