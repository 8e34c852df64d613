# Route 1: one `kmer2vec embed` job per genome (all of its input files in one run).

rule embed_all:
    input:
        expand(
            f"{RESULTS}/embed/{{genome}}.kmers.{EMBED_EXT}",
            genome=GENOMES,
        ),


rule embed:
    input:
        lambda wildcards: GENOMES[wildcards.genome],
    output:
        f"{RESULTS}/embed/{{genome}}.kmers.{EMBED_EXT}",
    log:
        f"{LOGS}/embed/{{genome}}.log",
    wildcard_constraints:
        genome=names_pattern(GENOMES),
    params:
        options=kmer2vec_options(EMBED["options"]),
    threads: EMBED["threads"]
    resources:
        mem_mb=EMBED["mem_mb"],
        runtime=EMBED["runtime"],
    conda:
        "../envs/kmer2vec.yaml"
    shell:
        "kmer2vec embed {input:q} {params.options} --threads {threads}"
        " --verbose -o {output:q} 2> {log:q}"
