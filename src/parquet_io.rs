//! The Parquet output: one row per k-mer.
//!
//! | column  | type                                              |
//! |---------|---------------------------------------------------|
//! | kmer    | utf8, not null                                    |
//! | k       | uint8, not null                                   |
//! | count   | uint64, not null                                  |
//! | vector  | fixed_size_list<float32 not null>[dim], not null  |
//! | context | the same, only with `--context-vectors`           |
//!
//! The metadata (`kmer2vec.version`, `.params`, `.stats`) goes both into the file's key-value
//! metadata and into the Arrow schema's, since readers differ in which they show.

use crate::atomic_file::write_atomically;
use crate::error::{Error, Result};
use crate::model::Model;
use arrow_array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, StringArray, UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch.
const BATCH_ROWS: usize = 16_384;

/// Vector bytes per row group. Readers get one chunk per row group, and only a single
/// chunk gives numpy a view of the vectors without a copy; so every k 3..8 vocabulary
/// (87,360 rows; 35 MB at dim 100) fits in one, and much larger ones are cut into groups
/// of this size.
const ROW_GROUP_BYTES: usize = 128 << 20;

/// Rows per row group of a model: `ROW_GROUP_BYTES` of vectors, at least one batch.
fn row_group_rows(model: &Model) -> usize {
    let columns = 1 + model.contexts.is_some() as usize;
    let row_bytes = 4 * model.dim * columns;
    (ROW_GROUP_BYTES / row_bytes.max(1)).max(BATCH_ROWS)
}

/// The type of the `vector` and `context` columns.
fn vector_type(dim: usize) -> DataType {
    DataType::FixedSizeList(
        Arc::new(Field::new("item", DataType::Float32, false)),
        dim as i32,
    )
}

/// Writes a model as Parquet, atomically.
pub fn write_parquet(model: &Model, path: &Path) -> Result<()> {
    let parquet_error = |e: &dyn std::fmt::Display| Error::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut fields = vec![
        Field::new("kmer", DataType::Utf8, false),
        Field::new("k", DataType::UInt8, false),
        Field::new("count", DataType::UInt64, false),
        Field::new("vector", vector_type(model.dim), false),
    ];
    if model.contexts.is_some() {
        fields.push(Field::new("context", vector_type(model.dim), false));
    }
    let metadata: HashMap<String, String> = model.metadata.iter().cloned().collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    let key_values = model
        .metadata
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    // No dictionary pages: every k-mer, count and vector value is (nearly) unique, so the
    // writer would build a dictionary per column only to give it up (a hash of every
    // value: 0.7 % of a 2-thread E. coli run's profile, all of it in the serial tail).
    let mut properties = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(row_group_rows(model)))
        .set_key_value_metadata(Some(key_values));
    // The vectors' floats byte-stream split, each byte of a float in a stream of its own
    // (the exponents' bytes compress, the mantissas' do not): E. coli k 6 with context
    // vectors, 3.05 → 2.79 MB; k 3..8, 65.1 → 59.4 MB. And no min/max statistics for
    // them: nothing filters on a vector's components.
    for column in ["vector", "context"] {
        let leaf = ColumnPath::new(vec![column.into(), "list".into(), "item".into()]);
        properties = properties
            .set_column_encoding(leaf.clone(), Encoding::BYTE_STREAM_SPLIT)
            .set_column_statistics_enabled(leaf, EnabledStatistics::None);
    }
    let properties = properties.build();
    write_atomically(path, |out| {
        write_row_groups(model, out, &schema, properties).map_err(|e| parquet_error(&e))
    })
}

/// Writes the rows in row groups, the columns of each encoded and compressed in parallel on
/// the current rayon pool (`ArrowWriter` would take them one after another).
fn write_row_groups(
    model: &Model,
    out: &mut BufWriter<&File>,
    schema: &Arc<Schema>,
    properties: WriterProperties,
) -> Result<(), ParquetError> {
    // The `ArrowWriter` only to set up the file (its Arrow schema in the metadata).
    let (mut file, row_groups) =
        ArrowWriter::try_new(out, schema.clone(), Some(properties))?.into_serialized_writer()?;
    let group_rows = row_group_rows(model);
    for (group, first) in (0..model.len()).step_by(group_rows).enumerate() {
        let end = (first + group_rows).min(model.len());
        let mut columns = row_groups.create_column_writers(group)?;
        for start in (first..end).step_by(BATCH_ROWS) {
            let rows = start..(start + BATCH_ROWS).min(end);
            // Each column built, levelled, encoded and compressed by a task of its own.
            // Every column is one leaf: no nesting but the vectors' fixed-size lists.
            (columns.par_iter_mut().zip(&schema.fields()[..]).enumerate())
                .with_max_len(1)
                .try_for_each(|(index, (column, field))| {
                    let array = column_array(model, index, rows.clone())?;
                    compute_leaves(field, &array)?
                        .iter()
                        .try_for_each(|leaf| column.write(leaf))
                })?;
        }
        let chunks = (columns.into_par_iter().map(ArrowColumnWriter::close))
            .collect::<Result<Vec<_>, _>>()?;
        let mut row_group = file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
    }
    file.close()?;
    Ok(())
}

/// Column `index` of the schema (`kmer`, `k`, `count`, `vector`, `context`) for the rows
/// `rows` of a model.
fn column_array(
    model: &Model,
    index: usize,
    rows: Range<usize>,
) -> Result<ArrayRef, arrow_schema::ArrowError> {
    let vectors = |values: &[f32]| -> Result<ArrayRef, arrow_schema::ArrowError> {
        let dim = model.dim;
        let values = Float32Array::from(values[rows.start * dim..rows.end * dim].to_vec());
        let field = Arc::new(Field::new("item", DataType::Float32, false));
        Ok(Arc::new(FixedSizeListArray::try_new(
            field,
            dim as i32,
            Arc::new(values),
            None,
        )?))
    };
    match (index, &model.contexts) {
        (0, _) => Ok(Arc::new(StringArray::from_iter_values(&model.kmers[rows]))),
        (1, _) => Ok(Arc::new(UInt8Array::from(model.k[rows].to_vec()))),
        (2, _) => Ok(Arc::new(UInt64Array::from(model.counts[rows].to_vec()))),
        (3, _) => vectors(&model.vectors),
        (4, Some(contexts)) => vectors(contexts),
        _ => Err(arrow_schema::ArrowError::SchemaError(format!(
            "no column {index} in a model"
        ))),
    }
}

/// Reads a model written by `write_parquet`.
pub fn read_parquet(path: &Path) -> Result<Model> {
    let model_error = |message: String| Error::Model {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| model_error(format!("not a readable Parquet file: {e}")))?;
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter(|kv| kv.key.starts_with("kmer2vec."))
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let dim = match schema
        .field_with_name("vector")
        .map(|f| f.data_type().clone())
    {
        Ok(DataType::FixedSizeList(_, dim)) => dim as usize,
        _ => {
            return Err(model_error(
                "no 'vector' column of fixed-size float lists: not a kmer2vec model".into(),
            ))
        }
    };
    let has_contexts = schema.field_with_name("context").is_ok();
    let mut model = Model {
        kmers: Vec::new(),
        k: Vec::new(),
        counts: Vec::new(),
        dim,
        vectors: Vec::new(),
        contexts: has_contexts.then(Vec::new),
        metadata,
    };
    let reader = builder.build().map_err(|e| model_error(e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| model_error(e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| model_error(format!("no '{name}' column: not a kmer2vec model")))
        };
        let wrong = |name: &str| model_error(format!("column '{name}' has the wrong type"));
        let kmers = column("kmer")?;
        let kmers = kmers
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| wrong("kmer"))?;
        model
            .kmers
            .extend(kmers.iter().map(|s| s.unwrap_or_default().to_string()));
        let k = column("k")?;
        let k = k
            .as_any()
            .downcast_ref::<UInt8Array>()
            .ok_or_else(|| wrong("k"))?;
        model.k.extend(k.values().iter());
        let counts = column("count")?;
        let counts = counts
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| wrong("count"))?;
        model.counts.extend(counts.values().iter());
        let floats = |name: &str| -> Result<Vec<f32>> {
            let list = column(name)?;
            let list = list
                .as_any()
                .downcast_ref::<FixedSizeListArray>()
                .ok_or_else(|| wrong(name))?;
            let values = list
                .values()
                .as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(|| wrong(name))?;
            let offset = list.offset() * dim;
            Ok(values.values()[offset..offset + list.len() * dim].to_vec())
        };
        model.vectors.extend(floats("vector")?);
        if let Some(contexts) = model.contexts.as_mut() {
            contexts.extend(floats("context")?);
        }
    }
    Ok(model)
}
