process KMER2VEC_EMBED {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"
    // kmer2vec is not on Bioconda yet (recipe/meta.yaml is the proposed recipe): these
    // BioContainers names are where its images will appear; set the build hash once they do.
    container "${workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container
        ? 'https://depot.galaxyproject.org/singularity/kmer2vec:0.1.0--0'
        : 'biocontainers/kmer2vec:0.1.0--0'}"

    input:
    tuple val(meta), path(fastx)

    output:
    tuple val(meta), path("*.parquet")  , emit: parquet , optional: true
    tuple val(meta), path("*.{txt,bin}"), emit: word2vec, optional: true
    tuple val("${task.process}"), val('kmer2vec'), eval("kmer2vec --version | head -1 | sed 's/^kmer2vec //'"), emit: versions_kmer2vec, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args      = task.ext.args ?: ''
    def prefix    = task.ext.prefix ?: "${meta.id}"
    def extension = args.contains('word2vec-binary') ? 'bin' : args.contains('word2vec-text') ? 'txt' : 'parquet'
    // The task's cpus and work directory come first and ${args} after them: kmer2vec takes
    // the last value of an option given more than once, so --threads or --tmp-dir in
    // ext.args overrides these.
    """
    kmer2vec \\
        embed \\
        --threads ${task.cpus} \\
        --tmp-dir . \\
        ${args} \\
        --output ${prefix}.${extension} \\
        ${fastx}
    """

    stub:
    def args      = task.ext.args ?: ''
    def prefix    = task.ext.prefix ?: "${meta.id}"
    def extension = args.contains('word2vec-binary') ? 'bin' : args.contains('word2vec-text') ? 'txt' : 'parquet'
    """
    echo ${args}
    touch ${prefix}.${extension}
    """
}
