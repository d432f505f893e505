"""Writing our text fields' postings in bulk.

Whoosh's SegmentWriter sends every posting through a sorting pool as a tuple and then through
`FieldWriter.add_postings` one call at a time: about 14 µs a posting, more than half of a
rebuild. `BulkWriter` keeps a document's term counts for our text fields in flat arrays instead,
sorts them once with numpy when the segment is written, and hands each term's posting list to
Whoosh's own W3 block writer a block at a time, so the segment files are byte for byte those
Whoosh would write (tests/test_postings_writer.py compares them). Other fields go through
Whoosh's pool as before.

This relies on the block buffers of `whoosh.codec.whoosh3.W3PostingsWriter` (`_ids`,
`_weights`, `_values`, length and weight statistics) of the pinned whoosh3 version.
"""
from __future__ import annotations

from array import array
from itertools import groupby
from operator import itemgetter

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# Postings held in memory before the writer asks for a new segment (`BulkWriter.full`): about
# 8 bytes each while collecting and 32 while sorting.
SEGMENT_POSTINGS = 12_000_000
_WRITE_SLICE = 1 << 16  # postings converted to Python lists at a time while writing


class FieldCounts:
    """One field's postings for one segment: term ids, frequencies and document numbers in
    insertion order (documents arrive in increasing docnum order)."""

    def __init__(self):
        self.vocabulary: dict[str, int] = {}
        self.terms = array("I")
        self.frequencies = array("I")
        self.documents = array("I")  # docnum of each document with postings
        self.sizes = array("I")  # its number of postings
        self.lengths = array("I")  # its field length as Whoosh reads it back (0: none)

    def __len__(self) -> int:
        return len(self.terms)

    def add(self, docnum: int, counts: dict[str, int]) -> int:
        """Add one document's term counts; its field length (the sum of the frequencies)."""
        if not counts:
            return 0
        vocabulary = self.vocabulary
        setdefault = vocabulary.setdefault
        self.terms.extend([setdefault(term, len(vocabulary)) for term in counts])
        frequencies = counts.values()
        self.frequencies.extend(frequencies)
        length = sum(frequencies)
        self.documents.append(docnum)
        self.sizes.append(len(counts))
        code = length_to_byte(length)
        self.lengths.append(byte_to_length(code) if code else 0)
        return length

    def write(self, fieldwriter, fieldname: str, fieldobj) -> None:
        """Write the field's terms in byte order, each term's postings in docnum order."""
        names = list(self.vocabulary)
        # UTF-8 byte order is code point order, so sorting the strings sorts the terms' bytes.
        ranks = np.empty(len(names), dtype=np.uint32)
        ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names), dtype=np.uint32)
        keys = ranks[np.frombuffer(self.terms, dtype=np.uint32)]
        order = np.argsort(keys, kind="stable")  # stable: docnums stay ascending within a term
        bounds = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=len(names)), out=bounds[1:])
        del keys
        sizes = np.frombuffer(self.sizes, dtype=np.uint32)
        documents = np.repeat(np.frombuffer(self.documents, dtype=np.uint32), sizes)[order]
        lengths = np.repeat(np.frombuffer(self.lengths, dtype=np.uint32), sizes)[order]
        frequencies = np.frombuffer(self.frequencies, dtype=np.uint32)[order]
        del order
        by_rank = sorted(names)
        boost = fieldobj.format.field_boost
        fieldwriter.start_field(fieldname, fieldobj)
        block = _BlockFiller(fieldwriter._postwriter, boost)
        start = 0
        while start < len(frequencies):
            # Whole terms per slice: the slice ends at a term boundary past _WRITE_SLICE postings.
            first = int(np.searchsorted(bounds, start, side="right")) - 1
            last = int(np.searchsorted(bounds, start + _WRITE_SLICE, side="left"))
            last = min(max(last, first + 1), len(names))
            stop = int(bounds[last])
            docs, freqs, lens = (a[start:stop].tolist() for a in (documents, frequencies, lengths))
            big_endian = frequencies[start:stop].astype(">u4").tobytes()
            for rank in range(first, last):
                lo, hi = int(bounds[rank]) - start, int(bounds[rank + 1]) - start
                fieldwriter.start_term(by_rank[rank].encode("utf-8"))
                block.term(docs, freqs, lens, big_endian, lo, hi)
                fieldwriter.finish_term()
            start = stop
        fieldwriter.finish_field()


class _BlockFiller:
    """Fills W3PostingsWriter's block buffers a block at a time, with the values its
    `add_posting` would have accumulated posting by posting."""

    def __init__(self, postwriter, boost: float):
        self.writer = postwriter
        self.limit = postwriter._blocklimit
        self.boost = boost

    def term(self, docs: list, freqs: list, lens: list, big_endian: bytes, lo: int, hi: int) -> None:
        writer, boost = self.writer, self.boost
        while True:
            end = min(hi, lo + self.limit)
            writer._ids = array("I", docs[lo:end])
            weights = [f * boost for f in freqs[lo:end]]
            writer._weights = array("f", weights)
            writer._maxweight = max(weights)
            writer._values = [big_endian[lo * 4:end * 4]]
            present = [n for n in lens[lo:end] if n]
            writer._minlength = min(present) if present else None
            writer._maxlength = max(present) if present else 0
            if end == hi:
                return  # the last block is written by finish_term (finish_postings)
            writer._write_block()
            lo = end


class BulkWriter(SegmentWriter):
    """A SegmentWriter whose `bulk_fields` take a dict of term counts ({term: frequency}) and
    are written by FieldCounts. Only what our schema uses is supported: no document or field
    boosts, no term vectors, no spelling fields."""

    def __init__(self, ix, bulk_fields: tuple[str, ...], **kwargs):
        super().__init__(ix, **kwargs)
        self.bulk = {name: FieldCounts() for name in bulk_fields}

    def postings(self) -> int:
        """Bulk postings held for this segment."""
        return sum(len(counts) for counts in self.bulk.values())

    def full(self) -> bool:
        return self.postings() >= SEGMENT_POSTINGS

    def add_document(self, **fields):
        self._check_state()
        perdoc, schema, docnum, add_post = self.perdocwriter, self.schema, self.docnum, self.pool.add
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if name in self.bulk:
                length = self.bulk[name].add(docnum, value)
            elif field.indexed:
                for tbytes, frequency, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += frequency
                    add_post((name, tbytes, docnum, weight, vbytes))
            stored = fields.get(f"_stored_{name}", value)
            perdoc.add_field(name, field, stored if field.stored else None, length)
            if field.column_type and stored is not None:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(stored))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        bulk = sorted(name for name, counts in self.bulk.items() if len(counts))
        # Fields must reach the terms table in name order (their ids and keys ascend).
        for fieldname, postings in groupby(self.pool.iter_postings(), key=itemgetter(0)):
            while bulk and bulk[0] < fieldname:
                self._write_bulk(bulk.pop(0))
            self.fieldwriter.add_postings(self.schema, lengths, postings)
        for name in bulk:
            self._write_bulk(name)
        self.fieldwriter.close()
        if lengths:
            lengths.close()

    def _write_bulk(self, name: str) -> None:
        self.bulk[name].write(self.fieldwriter, name, self.schema[name])
        self.bulk[name] = FieldCounts()


class RollingWriter:
    """BulkWriters one after another, so memory stays bounded on any corpus: when one holds
    SEGMENT_POSTINGS postings it is committed as a segment of its own, without merging (the
    generation is not in use until the rebuild or update is finished), and the next continues."""

    def __init__(self, ix, bulk_fields: tuple[str, ...], **kwargs):
        self.ix, self.bulk_fields, self.kwargs = ix, bulk_fields, kwargs
        self.writer = BulkWriter(ix, bulk_fields, **kwargs)

    def add_document(self, **fields) -> None:
        self.writer.add_document(**fields)
        if self.writer.full():
            self.writer.commit(merge=False)
            self.writer = BulkWriter(self.ix, self.bulk_fields, **self.kwargs)

    def delete_by_term(self, fieldname: str, text: str) -> None:
        self.writer.delete_by_term(fieldname, text)

    def commit(self, **kwargs) -> None:
        self.writer.commit(**kwargs)

    def cancel(self) -> None:
        self.writer.cancel()
