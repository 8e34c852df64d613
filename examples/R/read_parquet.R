#!/usr/bin/env Rscript
# Read a kmer2vec Parquet file into a numeric matrix with the k-mers as row names, parse the
# run's settings from the metadata, and list a k-mer's nearest neighbours by cosine.
#
#     Rscript read_parquet.R MODEL.parquet [KMER] [N]
#
# Reads the file through reticulate and Python's pyarrow, the route that installs from
# Debian here (r-base-core, r-cran-reticulate, r-cran-jsonlite; pyarrow from PyPI into the
# Python that RETICULATE_PYTHON names). With CRAN's arrow package, see read_parquet_arrow.R.
# R has no float32: the vectors arrive as doubles, a copy.

suppressPackageStartupMessages(library(reticulate))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript read_parquet.R MODEL.parquet [KMER] [N]")
path <- args[1]
query <- if (length(args) >= 2) args[2] else "ACGTAC"
n <- if (length(args) >= 3) as.integer(args[3]) else 5L

pq <- import("pyarrow.parquet", convert = FALSE)
tab <- pq$read_table(path, columns = list("kmer", "vector"))

# The vectors: the fixed-size list's float32 values, row after row. to_pylist() converts with
# any reticulate; reticulate >= 1.36 also converts numpy 2 arrays ($to_numpy()).
vec <- tab$column("vector")$combine_chunks()
dim <- py_to_r(vec$type$list_size)
m <- matrix(py_to_r(vec$flatten()$to_pylist()), ncol = dim, byrow = TRUE)
rownames(m) <- unlist(py_to_r(tab$column("kmer")$to_pylist()))
cat(sprintf("matrix %d x %d (%s), row names %s ...\n", nrow(m), ncol(m), typeof(m),
            paste(head(rownames(m), 3), collapse = " ")))

# The metadata: UTF-8 JSON strings under byte-string keys in the Arrow schema.
decode <- py_eval("lambda md: {k.decode(): v.decode() for k, v in md.items()}")
meta <- decode(tab$schema$metadata)
from_json <- if (requireNamespace("jsonlite", quietly = TRUE)) {
  jsonlite::fromJSON
} else {
  import("json")$loads
}
params <- from_json(meta[["kmer2vec.params"]])
stats <- from_json(meta[["kmer2vec.stats"]])
cat(sprintf("kmer2vec %s: k %d..%d, dim %d, epochs %d, seed %d; vocabulary %d, loss %.3f\n",
            meta[["kmer2vec.version"]], params$k$min, params$k$max, params$dim,
            params$epochs, params$seed, stats$vocabulary, stats$loss))

# Nearest neighbours by cosine similarity, the query itself left out.
if (!query %in% rownames(m)) stop(query, " has no vector in this model")
norms <- sqrt(rowSums(m^2))
cosine <- drop(m %*% m[query, ]) / (norms * norms[[query]])
cosine <- sort(cosine[names(cosine) != query], decreasing = TRUE)[seq_len(n)]
cat(sprintf("nearest to %s:\n", query))
cat(sprintf("%s\t%.4f\n", names(cosine), cosine), sep = "")
