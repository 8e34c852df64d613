#!/usr/bin/env python3
"""Split FASTA/FASTQ inputs into shards of whole records, round-robin by record.

A record is never split across shards, so `kmer2vec count` over the shards, summed by
`kmer2vec merge`, equals one `kmer2vec count` of all the inputs. Inputs may be FASTA or
FASTQ, plain or compressed with gzip, bzip2 or xz (recognised by their first bytes). Shards
are written as FASTA (kmer2vec reads only the bases; qualities are dropped), gzip-compressed
when the output name ends in `.gz`.

Every shard gets at least one record (`kmer2vec count` refuses an empty input): with fewer
records than shards the run fails and asks for fewer shards.

Dependency-free: Python 3.8+ standard library only. Runs from the command line, or from a
Snakemake rule's `script:` directive (input: the inputs; output: one path per shard;
params: level, optional; log: optional).

    split_records.py -n 4 -o shards/ --prefix shard_ --suffix .fa.gz reads_1.fq.gz reads_2.fq.gz
"""
import argparse
import bz2
import gzip
import lzma
import os
import sys


def open_input(path):
    """A binary stream of the decompressed contents of `path` (`-`: standard input)."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    head = raw.peek(6)[:6] if hasattr(raw, "peek") else b""
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw)
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        sys.exit(f"split_records.py: {path}: zstd input is not supported by Python's "
                 "standard library; decompress it first (zstd -d) or use gzip")
    return raw


def records(path):
    """Yield (header, sequence) of each FASTA or FASTQ record of `path`, as bytes."""
    with open_input(path) as f:
        header = None
        seq = []
        fastq = None
        lines = iter(f)
        for line in lines:
            line = line.rstrip(b"\r\n")
            if fastq is None:
                if not line.strip():
                    continue
                if line.startswith(b">"):
                    fastq = False
                elif line.startswith(b"@"):
                    fastq = True
                else:
                    sys.exit(f"split_records.py: {path}: neither FASTA ('>') nor FASTQ ('@')")
            if fastq:
                if not line:
                    continue
                if not line.startswith(b"@"):
                    sys.exit(f"split_records.py: {path}: malformed FASTQ record near {line[:40]!r}")
                header = line[1:]
                seq = []
                # sequence lines up to the '+' line, then as many quality bytes as bases
                for line in lines:
                    line = line.rstrip(b"\r\n")
                    if line.startswith(b"+"):
                        break
                    seq.append(line)
                else:
                    sys.exit(f"split_records.py: {path}: FASTQ record {header[:40]!r} ends early")
                need = sum(len(s) for s in seq)
                got = 0
                while got < need:
                    line = next(lines, None)
                    if line is None:
                        sys.exit(f"split_records.py: {path}: FASTQ record {header[:40]!r} "
                                 "has fewer quality values than bases")
                    got += len(line.rstrip(b"\r\n"))
                yield header, b"".join(seq)
            else:
                if line.startswith(b">"):
                    if header is not None:
                        yield header, b"".join(seq)
                    header = line[1:]
                    seq = []
                elif header is not None:
                    seq.append(line.strip())
        if fastq is False and header is not None:
            yield header, b"".join(seq)


class Shard:
    """One output shard, opened on its first record (so that no shard is ever empty)."""

    def __init__(self, path, level):
        self.path = path
        self.level = level
        self.file = None
        self.records = 0
        self.bases = 0

    def write(self, header, seq):
        if self.file is None:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            tmp = self.path + ".tmp"
            if self.path.endswith(".gz"):
                self.file = gzip.open(tmp, "wb", compresslevel=self.level)
            else:
                self.file = open(tmp, "wb")
        self.file.write(b">" + header + b"\n" + seq + b"\n")
        self.records += 1
        self.bases += len(seq)

    def close(self):
        if self.file is not None:
            self.file.close()
            os.replace(self.path + ".tmp", self.path)


def split(inputs, paths, level=1):
    """Write the records of `inputs` round-robin into the files `paths`, one shard each.

    Every shard gets at least one record: with fewer records than shards, nothing is left
    written and the run fails (ask for fewer shards).
    """
    if not paths:
        sys.exit("split_records.py: the number of shards must be at least 1")
    shards = [Shard(p, level) for p in paths]
    n = 0
    for path in inputs:
        for header, seq in records(path):
            shards[n % len(shards)].write(header, seq)
            n += 1
    for s in shards:
        s.close()
    if n < len(shards):
        for s in shards:
            if s.file is not None:
                os.remove(s.path)
        sys.exit(f"split_records.py: {n} records in {', '.join(inputs)}, fewer than the "
                 f"{len(shards)} shards asked for (a record is never split): ask for at "
                 f"most {n} shards")
    for s in shards:
        print(f"{s.path}\t{s.records} records\t{s.bases} bases", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="FASTA/FASTQ files, plain, gz, bz2 or xz")
    ap.add_argument("-n", "--shards", type=int, required=True, help="number of shards")
    ap.add_argument("-o", "--outdir", required=True, help="directory for the shards (created)")
    ap.add_argument("--prefix", default="shard_", help="shard file name before its number")
    ap.add_argument("--suffix", default=".fa.gz", help="shard file name after its number; "
                    "ending in .gz compresses")
    ap.add_argument("--level", type=int, default=1, help="gzip compression level (1-9)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    width = max(3, len(str(args.shards - 1)))
    paths = [os.path.join(args.outdir, f"{args.prefix}{i:0{width}d}{args.suffix}")
             for i in range(args.shards)]
    split(args.inputs, paths, args.level)


def main_snakemake(smk):
    """Run from a Snakemake rule's `script:` directive; messages go to the rule's log."""
    log = open(smk.log[0], "w") if smk.log else sys.stderr
    sys.stderr = log
    try:
        split(list(smk.input), list(smk.output), level=int(smk.params.get("level", 1)))
    except SystemExit as e:
        if e.code not in (None, 0):
            print(e.code, file=log)
        sys.exit(1 if e.code not in (None, 0) else 0)
    finally:
        log.flush()


if __name__ == "__main__":
    if "snakemake" in globals():
        main_snakemake(snakemake)  # noqa: F821 (defined by Snakemake's script directive)
    else:
        main()
