process KMER2VEC_MERGE {
    tag "${meta.id}"
    label 'process_single'

    conda "${moduleDir}/environment.yml"
    // kmer2vec is not on Bioconda yet (recipe/meta.yaml is the proposed recipe): these
    // BioContainers names are where its images will appear; set the build hash once they do.
    container "${workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container
        ? 'https://depot.galaxyproject.org/singularity/kmer2vec:0.1.0--0'
        : 'biocontainers/kmer2vec:0.1.0--0'}"

    input:
    tuple val(meta), path(k2c)

    output:
    tuple val(meta), path("*.k2c"), emit: k2c
    tuple val("${task.process}"), val('kmer2vec'), eval("kmer2vec --version | head -1 | sed 's/^kmer2vec //'"), emit: versions_kmer2vec, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def inputs = (k2c instanceof List ? k2c : [k2c]).collect { it.name }
    if (inputs.contains("${prefix}.k2c".toString())) {
        error("KMER2VEC_MERGE: an input is named ${prefix}.k2c, the output's name; set task.ext.prefix to tell them apart")
    }
    """
    kmer2vec \\
        merge \\
        ${args} \\
        --output ${prefix}.k2c \\
        ${k2c}
    """

    stub:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo ${args}
    touch ${prefix}.k2c
    """
}
