"""Writing our text fields' postings in bulk.

Whoosh's SegmentWriter sends every posting through a sorting pool as a tuple and then through
`FieldWriter.add_postings` one call at a time: about 14 µs a posting, more than half of a
rebuild. `BulkWriter` keeps a document's term counts for our text fields in flat arrays instead,
sorts them once with numpy when the segment is written, and encodes each term's posting list
in W3PostingsWriter's block format itself, so the segment files are byte for byte those
Whoosh would write (tests/test_postings_writer.py compares them). Other fields go through
Whoosh's pool as before.

This follows `whoosh.codec.whoosh3.W3PostingsWriter._write_block` and `W3TermInfo.add_block`
of the pinned whoosh3 version, and writes into the W3FieldWriter's files.
"""
from __future__ import annotations

import os
import pickle
import tempfile
import zlib
from array import array
from itertools import compress, groupby, repeat
from operator import is_, itemgetter

import numpy as np
from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_int, pack_long, pack_ushort, unpack_long
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import delta_encode
from whoosh.writing import SegmentWriter

from ..checkpoints import checkpoint

# Postings held in memory before the writer asks for a new segment (`BulkWriter.full`): about
# 8 bytes each while collecting and up to 40 while sorting (about 500 MB at the limit).
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
        ids = list(map(vocabulary.get, counts))  # loops in C: most terms are known already
        if None in ids:
            terms = list(counts)
            for i in compress(range(len(ids)), map(is_, ids, repeat(None))):
                ids[i] = vocabulary[terms[i]] = len(vocabulary)
        self.terms.extend(ids)
        frequencies = counts.values()
        self.frequencies.extend(frequencies)
        length = sum(frequencies)
        self.documents.append(docnum)
        self.sizes.append(len(counts))
        code = length_to_byte(length)
        self.lengths.append(byte_to_length(code) if code else 0)
        return length

    def write(self, fieldwriter, fieldname: str, fieldobj, procs: int = 1, folder: str | None = None) -> None:
        """Write the field's terms in byte order, each term's postings in docnum order; with
        procs > 1, the later ranges of terms are encoded by forked processes meanwhile."""
        names = list(self.vocabulary)
        # UTF-8 byte order is code point order, so sorting the strings sorts the terms' bytes.
        in_order = sorted(range(len(names)), key=names.__getitem__)
        by_rank = [names[i] for i in in_order]
        ranks = np.empty(len(names), dtype=np.uint32)
        ranks[in_order] = np.arange(len(names), dtype=np.uint32)
        del in_order, names
        keys = ranks[np.frombuffer(self.terms, dtype=np.uint32)]
        order = np.argsort(keys, kind="stable")  # stable: docnums stay ascending within a term
        bounds = np.zeros(len(by_rank) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=len(by_rank)), out=bounds[1:])
        del keys
        sizes = np.frombuffer(self.sizes, dtype=np.uint32)
        documents = np.repeat(np.frombuffer(self.documents, dtype=np.uint32), sizes)[order]
        lengths = np.repeat(np.frombuffer(self.lengths, dtype=np.uint32), sizes)[order]
        frequencies = np.frombuffer(self.frequencies, dtype=np.uint32)[order]
        del order

        def write_terms(terms: _TermWriter, first: int, last: int) -> None:
            start = int(bounds[first])
            while first < last:
                # A slice of whole terms, ending at the first term boundary past _WRITE_SLICE postings.
                end = min(max(int(np.searchsorted(bounds, start + _WRITE_SLICE)), first + 1), last)
                stop = int(bounds[end])
                docs, freqs, lens = (a[start:stop].tolist() for a in (documents, frequencies, lengths))
                big_endian = frequencies[start:stop].astype(">u4").tobytes()
                for rank in range(first, end):
                    terms.write(by_rank[rank].encode("utf-8"), docs, freqs, lens, big_endian,
                                int(bounds[rank]) - start, int(bounds[rank + 1]) - start)
                terms.flush()
                first, start = end, stop

        fieldwriter.start_field(fieldname, fieldobj)
        terms = _TermWriter(fieldwriter._postfile, fieldwriter._tindex.add, fieldwriter, fieldobj)
        parts = procs if procs > 1 and len(frequencies) >= PARALLEL_WRITE_POSTINGS else 1
        if parts == 1:
            write_terms(terms, 0, len(by_rank))
        else:
            cuts = [0] + [int(np.searchsorted(bounds, len(frequencies) * k // parts)) for k in range(1, parts)]
            cuts.append(len(by_rank))
            # Scratch files of the forked processes, beside the segment (same file system).
            with tempfile.TemporaryDirectory(prefix=".postings-", dir=folder) as scratch:
                children = [_fork_terms(write_terms, fieldwriter, fieldobj, cuts[k], cuts[k + 1], scratch)
                            for k in range(1, parts)]
                write_terms(terms, cuts[0], cuts[1])
                for child in children:
                    terms.append_part(*child)
        fieldwriter.finish_field()


# A field with this many postings in a segment is encoded by `procs` processes.
PARALLEL_WRITE_POSTINGS = 200_000


def _fork_terms(write_terms, fieldwriter, fieldobj, first: int, last: int, scratch: str) -> tuple[int, str]:
    """Encode the terms of ranks [first, last) in a forked process, into a scratch file of
    posting bytes and a pickled list of (key, term info with offsets from that file's start)."""
    handle, path = tempfile.mkstemp(dir=scratch, suffix=".pst")
    os.close(handle)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            rows: list[tuple[bytes, bytes]] = []
            with open(path, "wb") as postings:
                write_terms(_TermWriter(postings, lambda key, info: rows.append((key, info)), fieldwriter, fieldobj),
                            first, last)
            with open(path + ".rows", "wb") as out:
                pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    return pid, path


_EXTENT_AT = W3TermInfo._struct.size  # to_bytes: the struct, then pack_long(offset), pack_int(length)


class _TermWriter:
    """One term's posting list in W3PostingsWriter's format (blocks of `_blocklimit`
    postings, each a pickled and maybe compressed tuple after a pickled block info), and its
    W3TermInfo row; the posting bytes are buffered and written a slice of terms at a time."""

    def __init__(self, postfile, add_row, fieldwriter, fieldobj):
        postwriter = fieldwriter._postwriter
        self.postfile, self.add_row = postfile, add_row
        self.field_key = pack_ushort(fieldwriter._fieldid)
        self.limit, self.compression = postwriter._blocklimit, postwriter._compression
        self.boost = fieldobj.format.field_boost
        self.buffer = bytearray()
        self.base = self.postfile.tell()

    def write(self, btext: bytes, docs: list, freqs: list, lens: list, big_endian: bytes, lo: int, hi: int) -> None:
        buffer, boost = self.buffer, self.boost
        info = W3TermInfo()
        start = self.base + len(buffer)
        buffer += WHOOSH3_HEADER_MAGIC
        while lo < hi:
            end = min(hi, lo + self.limit)
            ids = docs[lo:end]
            raw_weights = [f * boost for f in freqs[lo:end]]
            weights = array("f", raw_weights)
            if all(w == 1.0 for w in weights):
                mini_weights = None
            elif all(w == weights[0] for w in weights):
                mini_weights = weights[0]
            else:
                mini_weights = tuple(weights)
            data = pickle.dumps((tuple(delta_encode(ids)), mini_weights, big_endian[lo * 4:end * 4]), 2)
            level = self.compression if len(data) >= COMPRESSION_MIN_SIZE else 0
            if level:
                data = zlib.compress(data, level)
            present = [n for n in lens[lo:end] if n]
            shortest = min(present) if present else None
            longest = max(present) if present else 0
            max_weight = max(raw_weights)
            block = pickle.dumps((len(ids), ids[-1], max_weight, level, length_to_byte(shortest), length_to_byte(longest)), 2)
            size = len(block) + len(data)
            buffer += pack_int(-size if end == hi else size)
            buffer += block
            buffer += data
            # W3TermInfo.add_block
            info._weight += sum(weights)
            info._df += len(ids)
            info._minlength = shortest if info._minlength is None else min(info._minlength, shortest)
            info._maxlength = max(info._maxlength, longest)
            info._maxweight = max(info._maxweight, max_weight)
            if info._minid is None:
                info._minid = ids[0]
            info._maxid = ids[-1]
            lo = end
        info.set_extent(start, self.base + len(buffer) - start)
        self.add_row(self.field_key + btext, info.to_bytes())

    def flush(self) -> None:
        self.postfile.write(bytes(self.buffer))
        self.base += len(self.buffer)
        self.buffer = bytearray()

    def append_part(self, pid: int, path: str) -> None:
        """Append the posting bytes a forked process wrote (see _fork_terms), and its rows with
        their offsets moved to where the bytes now are."""
        _, status = os.waitpid(pid, 0)
        if status != 0:
            raise RuntimeError(f"a process writing postings failed (status {status})")
        base = self.postfile.tell()
        with open(path, "rb") as part:
            while chunk := part.read(1 << 20):
                self.postfile.write(chunk)
        self.base = self.postfile.tell()
        with open(path + ".rows", "rb") as rows:
            for key, info in pickle.load(rows):
                moved = pack_long(base + unpack_long(info[_EXTENT_AT:_EXTENT_AT + 8])[0])
                self.add_row(key, info[:_EXTENT_AT] + moved + info[_EXTENT_AT + 8:])
        os.unlink(path)
        os.unlink(path + ".rows")


class BulkWriter(SegmentWriter):
    """A SegmentWriter whose `bulk_fields` take a dict of term counts ({term: frequency}) and
    are written by FieldCounts. Only what our schema uses is supported: no document or field
    boosts, no term vectors, no spelling fields."""

    def __init__(self, ix, bulk_fields: tuple[str, ...], procs: int = 1, **kwargs):
        super().__init__(ix, **kwargs)
        self.bulk = {name: FieldCounts() for name in bulk_fields}
        self.procs = procs

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
        checkpoint("commit")  # the segment's files are written; Whoosh writes the TOC after this

    def _write_bulk(self, name: str) -> None:
        self.bulk[name].write(self.fieldwriter, name, self.schema[name], self.procs,
                              getattr(self.storage, "folder", None))
        self.bulk[name] = FieldCounts()


class RollingWriter:
    """BulkWriters one after another, so a rebuild's memory stays bounded on any corpus: when
    one holds SEGMENT_POSTINGS postings it is committed as a segment of its own, without merging
    (the new generation is not in use until the rebuild is finished), and the next continues.
    Not for `update`: it changes the generation in use, which must change in one commit."""

    def __init__(self, ix, bulk_fields: tuple[str, ...], **kwargs):
        self.ix, self.bulk_fields, self.kwargs = ix, bulk_fields, kwargs
        self.writer = BulkWriter(ix, bulk_fields, **kwargs)
        self.schema = self.writer.schema

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
