//! Compiles the page into the server: every visible file of `www/` (the
//! page, and `pkg/` with the wasm viewer, committed and rebuilt by `just wasm`), so
//! that the binary serves it wherever it runs. Writes
//! `$OUT_DIR/page.rs`, a table of paths, contents and ETags that
//! `static_files.rs` includes.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let www = manifest_dir.join("../../www");
    // A directory: cargo looks at everything under it.
    println!("cargo:rerun-if-changed={}", www.display());
    let mut files = Vec::new();
    if www.is_dir() {
        collect(&www.canonicalize()?, "", &mut files)?;
    }
    files.sort();

    let mut table = String::from("&[\n");
    for (relative, absolute) in &files {
        let mut hasher = DefaultHasher::new();
        hasher.write(&fs::read(absolute)?);
        writeln!(
            table,
            "    EmbeddedFile {{ path: {:?}, contents: include_bytes!({:?}), etag: \"\\\"{:016x}\\\"\" }},",
            relative,
            absolute.display().to_string(),
            hasher.finish(),
        )
        .expect("writing to a String");
    }
    table.push(']');
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("page.rs");
    fs::write(out, table)
}

/// Adds the visible files under `dir` (named `prefix` relative to `www/`)
/// to `files`, as (path relative to `www/`, absolute path). Hidden files
/// and directories (wasm-pack's `pkg/.gitignore`) are left out, as the page
/// server refuses them anyway.
fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_str().expect("www/ holds UTF-8 names");
        if name.starts_with('.') {
            continue;
        }
        let relative = format!("{prefix}{name}");
        let path = entry.path();
        if path.is_dir() {
            collect(&path, &format!("{relative}/"), files)?;
        } else if path.is_file() {
            files.push((relative, path));
        }
    }
    Ok(())
}
