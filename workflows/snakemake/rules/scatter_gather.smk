# Route 2, for big inputs: split into shards of whole records, `kmer2vec count` each shard
# as its own job, `kmer2vec merge` the counts (exact sums), `kmer2vec train` from them.
#
# A record is never split across shards, so the merged counts equal one `kmer2vec count`
# of the whole input. Shards and per-shard counts are temporary unless keep_intermediate.


wildcard_constraints:
    dataset=names_pattern(DATASETS),
    shard=r"\d+",


rule scatter_gather_all:
    input:
        expand(f"{SG_DIR}/{{dataset}}/{{dataset}}.kmers.{SG_EXT}", dataset=DATASETS),
        expand(f"{SG_DIR}/{{dataset}}/{{dataset}}.k2c", dataset=DATASETS),


rule split:
    input:
        lambda wildcards: DATASETS[wildcards.dataset],
    output:
        maybe_temp(
            expand(f"{SG_DIR}/{{{{dataset}}}}/shards/{{shard}}.fa.gz", shard=SHARDS)
        ),
    log:
        f"{LOGS}/scatter_gather/{{dataset}}/split.log",
    params:
        level=SG["gzip_level"],
    threads: 1
    resources:
        mem_mb=SG["split"]["mem_mb"],
        runtime=SG["split"]["runtime"],
    conda:
        "../envs/kmer2vec.yaml"
    script:
        "../scripts/split_records.py"


rule count:
    input:
        f"{SG_DIR}/{{dataset}}/shards/{{shard}}.fa.gz",
    output:
        maybe_temp(f"{SG_DIR}/{{dataset}}/counts/{{shard}}.k2c"),
    log:
        f"{LOGS}/scatter_gather/{{dataset}}/count/{{shard}}.log",
    params:
        options=kmer2vec_options(SG["count"]["options"]),
    # `kmer2vec count` runs on one thread; more shards is how it goes wider.
    threads: 1
    resources:
        mem_mb=SG["count"]["mem_mb"],
        runtime=SG["count"]["runtime"],
    conda:
        "../envs/kmer2vec.yaml"
    shell:
        "kmer2vec count {input:q} {params.options} --verbose -o {output:q} 2> {log:q}"


rule merge:
    input:
        expand(f"{SG_DIR}/{{{{dataset}}}}/counts/{{shard}}.k2c", shard=SHARDS),
    output:
        f"{SG_DIR}/{{dataset}}/{{dataset}}.k2c",
    log:
        f"{LOGS}/scatter_gather/{{dataset}}/merge.log",
    threads: 1
    resources:
        mem_mb=SG["merge"]["mem_mb"],
        runtime=SG["merge"]["runtime"],
    conda:
        "../envs/kmer2vec.yaml"
    shell:
        "kmer2vec merge {input:q} --verbose -o {output:q} 2> {log:q}"


rule train:
    input:
        f"{SG_DIR}/{{dataset}}/{{dataset}}.k2c",
    output:
        f"{SG_DIR}/{{dataset}}/{{dataset}}.kmers.{SG_EXT}",
    log:
        f"{LOGS}/scatter_gather/{{dataset}}/train.log",
    params:
        options=kmer2vec_options(SG["train"]["options"]),
    threads: SG["train"]["threads"]
    resources:
        mem_mb=SG["train"]["mem_mb"],
        runtime=SG["train"]["runtime"],
    conda:
        "../envs/kmer2vec.yaml"
    shell:
        "kmer2vec train {input:q} {params.options} --threads {threads}"
        " --verbose -o {output:q} 2> {log:q}"
