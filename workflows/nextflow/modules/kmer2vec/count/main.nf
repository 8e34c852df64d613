process KMER2VEC_COUNT {
    tag "${meta.id}"
    label 'process_single'

    conda "${moduleDir}/environment.yml"
    // kmer2vec is not on Bioconda yet (recipe/meta.yaml is the proposed recipe): these
    // BioContainers names are where its images will appear; set the build hash once they do.
    container "${workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container
        ? 'https://depot.galaxyproject.org/singularity/kmer2vec:0.1.0--0'
        : 'biocontainers/kmer2vec:0.1.0--0'}"

    input:
    tuple val(meta), path(fastx)

    output:
    tuple val(meta), path("*.k2c"), emit: k2c
    tuple val("${task.process}"), val('kmer2vec'), eval("kmer2vec --version | head -1 | sed 's/^kmer2vec //'"), emit: versions_kmer2vec, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args    = task.ext.args ?: ''
    def prefix  = task.ext.prefix ?: "${meta.id}"
    // `count` is single-threaded. --memory is the budget of the whole process (pairs beyond
    // it spill to --tmp-dir as sorted runs): 90 % of the task's memory. These come first and
    // ${args} after them: kmer2vec takes the last value of an option given more than once,
    // so --memory or --tmp-dir in ext.args overrides them.
    def memory  = task.memory ? "--memory ${(task.memory.toMega() * 9).intdiv(10)}M" : ''
    """
    kmer2vec \\
        count \\
        ${memory} \\
        --tmp-dir . \\
        ${args} \\
        --output ${prefix}.k2c \\
        ${fastx}
    """

    stub:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo ${args}
    touch ${prefix}.k2c
    """
}
