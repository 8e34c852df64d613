#!/usr/bin/env Rscript
# Base R only (no arrow, no Python): read kmer2vec's word2vec text export into a numeric
# matrix with the k-mers as row names, and list a k-mer's nearest neighbours by cosine.
#
#     kmer2vec embed genome.fa.gz --format word2vec-text -o genome.kmers.txt
#     Rscript read_word2vec_text.R genome.kmers.txt [KMER] [N]
#
# The text format holds the k-mers and vectors only (no counts, no metadata) and is larger
# than the Parquet file (about three times, on the bundled lambda genome).

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript read_word2vec_text.R MODEL.txt [KMER] [N]")
path <- args[1]
query <- if (length(args) >= 2) args[2] else "ACGTAC"
n <- if (length(args) >= 3) as.integer(args[3]) else 5L

# First line: "rows dim"; then one line a k-mer: the k-mer, then dim numbers.
header <- scan(path, what = integer(), n = 2, quiet = TRUE)
words <- read.table(path, skip = 1, row.names = 1, quote = "", comment.char = "",
                    colClasses = c("character", rep("numeric", header[2])))
m <- as.matrix(words)
stopifnot(nrow(m) == header[1], ncol(m) == header[2])
cat(sprintf("matrix %d x %d (%s), row names %s ...\n", nrow(m), ncol(m), typeof(m),
            paste(head(rownames(m), 3), collapse = " ")))

if (!query %in% rownames(m)) stop(query, " has no vector in this model")
norms <- sqrt(rowSums(m^2))
cosine <- drop(m %*% m[query, ]) / (norms * norms[[query]])
cosine <- sort(cosine[names(cosine) != query], decreasing = TRUE)[seq_len(n)]
cat(sprintf("nearest to %s:\n", query))
cat(sprintf("%s\t%.4f\n", names(cosine), cosine), sep = "")
