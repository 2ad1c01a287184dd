//! Finding input folders: the `calcard` crate's `resources/` through
//! `cargo metadata`, and the fixture files below a folder.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `resources/` folder of the `calcard` package this tool depends on,
/// found with `cargo metadata --format-version 1` run in the current
/// directory (the workspace root), or failing that against this crate's own
/// manifest.
pub fn calcard_resources() -> Result<PathBuf, String> {
    let own_manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut errors = Vec::new();
    for manifest in [None, Some(own_manifest.as_path())] {
        match cargo_metadata(manifest).and_then(|meta| {
            package_dir(&meta, "calcard").ok_or_else(|| "no calcard package".to_string())
        }) {
            Ok(dir) => return Ok(dir.join("resources")),
            Err(err) => errors.push(err),
        }
    }
    Err(format!(
        "cannot locate the calcard crate with cargo metadata: {}",
        errors.join("; ")
    ))
}

/// Runs `cargo metadata --format-version 1` and parses its JSON.
fn cargo_metadata(manifest: Option<&Path>) -> Result<Value, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["metadata", "--format-version", "1"]);
    if let Some(manifest) = manifest {
        command.arg("--manifest-path").arg(manifest);
    }
    let output = command
        .output()
        .map_err(|err| format!("cannot run cargo metadata: {err}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("cargo metadata failed: {}", stderr.trim()));
    }
    serde_json::from_slice(&output.stdout).map_err(|err| format!("bad cargo metadata JSON: {err}"))
}

/// The directory of the manifest of the package called `name` (the highest
/// version if several are present).
pub fn package_dir(metadata: &Value, name: &str) -> Option<PathBuf> {
    let packages = metadata.get("packages")?.as_array()?;
    packages
        .iter()
        .filter(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .filter_map(|p| {
            let version = p.get("version").and_then(Value::as_str).unwrap_or("");
            let manifest = p.get("manifest_path").and_then(Value::as_str)?;
            Some((version_key(version), PathBuf::from(manifest)))
        })
        .max()
        .and_then(|(_, manifest)| manifest.parent().map(Path::to_path_buf))
}

/// Numeric key of a `major.minor.patch[-pre]` version, for ordering.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// Files below `dir` (recursively) whose extension is `ext`
/// (case-insensitive), sorted by path.
pub fn files_with_extension(dir: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_package_directory_in_metadata() {
        let meta = serde_json::json!({
            "packages": [
                {"name": "other", "version": "1.0.0", "manifest_path": "/r/other-1.0.0/Cargo.toml"},
                {"name": "calcard", "version": "0.3.9", "manifest_path": "/r/calcard-0.3.9/Cargo.toml"},
                {"name": "calcard", "version": "0.3.14", "manifest_path": "/r/calcard-0.3.14/Cargo.toml"}
            ]
        });
        assert_eq!(
            package_dir(&meta, "calcard"),
            Some(PathBuf::from("/r/calcard-0.3.14"))
        );
        assert_eq!(package_dir(&meta, "missing"), None);
    }
}
