#!/usr/bin/env nextflow
/*
 * kmer2vec: k-mer embeddings per sample, in one step or scattered over shards.
 *
 *   nextflow run workflows/nextflow --input samplesheet.csv --outdir results [--route embed|counts|both]
 *   nextflow run workflows/nextflow -profile test        # the bundled lambda phage data
 *
 * Samplesheet (CSV): sample,fastx. One row a FASTA/FASTQ file (plain or gz/bz2/xz/zst);
 * relative paths are resolved against the samplesheet's folder. Rows with the same sample:
 *   route 'embed'  - one `kmer2vec embed` over all of the sample's files;
 *   route 'counts' - `kmer2vec count` per file (the scatter), `kmer2vec merge` per sample
 *                    (the gather), `kmer2vec train` on the merged counts.
 * Tool versions go to <outdir>/pipeline_info/software_versions.yml (the versions topic).
 */

include { KMER2VEC_EMBED } from './modules/kmer2vec/embed/main'
include { KMER2VEC_COUNT } from './modules/kmer2vec/count/main'
include { KMER2VEC_MERGE } from './modules/kmer2vec/merge/main'
include { KMER2VEC_TRAIN } from './modules/kmer2vec/train/main'

workflow {

    main:
    if (!params.input) {
        error("kmer2vec: give a samplesheet with --input (CSV with columns sample,fastx), or run -profile test")
    }
    if (!(params.route in ['embed', 'counts', 'both'])) {
        error("kmer2vec: --route must be 'embed', 'counts' or 'both', not '${params.route}'")
    }
    def samplesheet = file(params.input, checkIfExists: true)

    // [ [ id: sample ], [ files ] ], one item a sample
    def ch_samples = channel.fromPath(samplesheet)
        .splitCsv(header: true, strip: true)
        .map { row ->
            if (!row.sample || !row.fastx) {
                error("kmer2vec: ${samplesheet}: every row needs a 'sample' and a 'fastx' value: ${row}")
            }
            def location = row.fastx.startsWith('/') || row.fastx.contains('://') ? row.fastx : "${samplesheet.parent}/${row.fastx}"
            [ row.sample, file(location, checkIfExists: true) ]
        }
        .groupTuple()
        .map { sample, files -> [ [ id: sample ], files ] }

    if (params.route in ['embed', 'both']) {
        KMER2VEC_EMBED(ch_samples)
    }

    if (params.route in ['counts', 'both']) {
        // scatter: one count per file, its meta remembering the sample and the number of shards
        def ch_shards = ch_samples.flatMap { meta, files ->
            files.withIndex().collect { fastx, i ->
                [ [ id: "${meta.id}_${i + 1}".toString(), sample: meta.id, shards: files.size() ], fastx ]
            }
        }
        KMER2VEC_COUNT(ch_shards)

        // gather: a sample's counts go on as soon as all of its shards are counted; sorted by
        // name, since the merged file's header lists its inputs in the order given
        def ch_gathered = KMER2VEC_COUNT.out.k2c
            .map { meta, k2c -> [ groupKey(meta.sample, meta.shards), k2c ] }
            .groupTuple()
            .map { sample, k2cs -> [ [ id: sample.toString() ], k2cs.sort { k2c -> k2c.name } ] }
        KMER2VEC_MERGE(ch_gathered)
        KMER2VEC_TRAIN(KMER2VEC_MERGE.out.k2c)
    }

    // every module publishes its kmer2vec version to the 'versions' topic
    channel.topic('versions')
        .unique()
        .map { proc, tool, version -> "${proc.tokenize(':').last()}:\n    ${tool}: ${version}\n" }
        .collectFile(name: 'software_versions.yml', storeDir: "${params.outdir}/pipeline_info", sort: true)
}
