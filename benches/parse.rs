//! Parser and full-lint throughput over the shared corpus
//! (`../shared/corpus/wild`, or `DOCKERLEAK_CORPUS`): reports MB/s and
//! files/s through criterion's throughput. Skips, saying why, when the
//! corpus is absent.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::{Path, PathBuf};

fn corpus_files() -> Option<Vec<String>> {
    let root = std::env::var_os("DOCKERLEAK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let wild = root.join("wild");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&wild)
        .ok()?
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .flat_map(|entry| {
            std::fs::read_dir(entry.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    Some(
        paths
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect(),
    )
}

fn benchmarks(criterion: &mut Criterion) {
    let Some(files) = corpus_files() else {
        eprintln!(
            "SKIPPED parse benchmark: ../shared/corpus/wild not found (set DOCKERLEAK_CORPUS)"
        );
        return;
    };
    let bytes: usize = files.iter().map(String::len).sum();
    let config = dockerleak::Config::default();

    let mut by_bytes = criterion.benchmark_group("wild-corpus-bytes");
    by_bytes.throughput(Throughput::Bytes(bytes as u64));
    by_bytes.sample_size(20);
    by_bytes.bench_function("parse", |bencher| {
        bencher.iter(|| {
            files
                .iter()
                .map(|text| dockerleak::syntax::parse(text).instructions.len())
                .sum::<usize>()
        })
    });
    by_bytes.bench_function("lint", |bencher| {
        bencher.iter(|| {
            files
                .iter()
                .map(|text| {
                    dockerleak::lint_source("Dockerfile", text, &config)
                        .findings
                        .len()
                })
                .sum::<usize>()
        })
    });
    by_bytes.finish();

    let mut by_files = criterion.benchmark_group("wild-corpus-files");
    by_files.throughput(Throughput::Elements(files.len() as u64));
    by_files.sample_size(20);
    by_files.bench_function("parse", |bencher| {
        bencher.iter(|| {
            files
                .iter()
                .map(|text| dockerleak::syntax::parse(text).instructions.len())
                .sum::<usize>()
        })
    });
    by_files.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
