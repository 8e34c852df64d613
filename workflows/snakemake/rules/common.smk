# Helpers shared by the routes: paths, and kmer2vec options from the config.

import re
import shlex

RESULTS = config["results"]
LOGS = config["logs"]
EMBED = config["embed"]
SG = config["scatter_gather"]
SG_DIR = f"{RESULTS}/scatter_gather"
# Shard names: {SG_DIR}/{dataset}/shards/000.fa.gz, 001.fa.gz, ... (FASTA, gzip)
SHARDS = [f"{i:03d}" for i in range(SG["shards"])]

# The output extension that goes with each value of kmer2vec's --format.
FORMAT_EXT = {"parquet": "parquet", "word2vec-text": "txt", "word2vec-binary": "bin"}
EMBED_EXT = FORMAT_EXT[(EMBED["options"] or {}).get("format", "parquet")]
SG_EXT = FORMAT_EXT[(SG["train"]["options"] or {}).get("format", "parquet")]

# Options the workflow sets itself; the config must not set them.
RESERVED = {"o", "output", "t", "threads", "q", "quiet", "v", "verbose"}


def as_list(paths):
    """A config entry of one input path or a list of them, as a list."""
    return [paths] if isinstance(paths, str) else list(paths)


def kmer2vec_options(options):
    """Command-line options of kmer2vec from a config mapping, quoted for the shell.

    `key: value` gives `--key value` (underscores in the key become dashes), `key: true`
    gives the flag `--key`, `key: false` or `key: null` leaves the option out.
    """
    args = []
    for key, value in (options or {}).items():
        name = str(key).lstrip("-").replace("_", "-")
        if name in RESERVED:
            raise ValueError(
                f"config: option {key!r} is set by the workflow (threads come from the "
                "rule's threads, output and logging from the rule)"
            )
        if value is True:
            args.append(f"--{name}")
        elif value is not False and value is not None:
            args += [f"--{name}", str(value)]
    return " ".join(shlex.quote(a) for a in args)


# name -> list of input files; a name mapped to null is left out, so that a --configfile
# (which Snakemake merges into config/config.yaml) can drop the bundled examples.
GENOMES = {n: as_list(p) for n, p in (EMBED["genomes"] or {}).items() if p is not None}
DATASETS = {n: as_list(p) for n, p in (SG["datasets"] or {}).items() if p is not None}


def names_pattern(names):
    """A wildcard constraint matching exactly the given names."""
    return "|".join(re.escape(str(n)) for n in names) or "(?!)"


def maybe_temp(path):
    """Shards and per-shard counts are removed once merged, unless keep_intermediate."""
    return path if SG["keep_intermediate"] else temp(path)
