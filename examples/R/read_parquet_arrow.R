#!/usr/bin/env Rscript
# NOT TESTED HERE: CRAN's arrow package does not install on this project's machines (no CRAN
# access, no Debian package), so CI runs read_parquet.R (reticulate + pyarrow) instead. This
# is the same reading with arrow, for R users who have it (install.packages("arrow")).
#
#     Rscript read_parquet_arrow.R MODEL.parquet [KMER]

library(arrow)

args <- commandArgs(trailingOnly = TRUE)
path <- args[1]
query <- if (length(args) >= 2) args[2] else "ACGTAC"

tab <- read_parquet(path, col_select = c("kmer", "vector"), as_data_frame = FALSE)
df <- as.data.frame(tab)

# `vector` (fixed_size_list<float32>) arrives as a list of double vectors, one a row.
m <- matrix(unlist(df$vector, use.names = FALSE), ncol = length(df$vector[[1]]), byrow = TRUE)
rownames(m) <- df$kmer

# The Arrow schema's metadata: JSON strings.
params <- jsonlite::fromJSON(tab$metadata[["kmer2vec.params"]])
stats <- jsonlite::fromJSON(tab$metadata[["kmer2vec.stats"]])
cat(sprintf("matrix %d x %d; kmer2vec %s, dim %d, epochs %d; vocabulary %d\n", nrow(m),
            ncol(m), tab$metadata[["kmer2vec.version"]], params$dim, params$epochs,
            stats$vocabulary))

norms <- sqrt(rowSums(m^2))
cosine <- drop(m %*% m[query, ]) / (norms * norms[[query]])
print(head(sort(cosine[names(cosine) != query], decreasing = TRUE), 5))
