//! Streaming JSON array writer: `[`, one element per line, `]`.
//!
//! Elements are serialised one at a time, so a file of a million messages
//! never has to be held in memory.

use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What was written to one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// The file that was written.
    pub path: PathBuf,
    /// Number of array elements.
    pub count: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// Writes a JSON array to any `Write`, one element per line.
pub struct JsonArrayWriter<W: Write> {
    out: W,
    count: u64,
    bytes: u64,
}

impl<W: Write> JsonArrayWriter<W> {
    /// Starts an array on `out` (writes the opening bracket).
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(Self {
            out,
            count: 0,
            bytes: 1,
        })
    }

    /// Appends one element.
    pub fn push<T: Serialize + ?Sized>(&mut self, item: &T) -> io::Result<()> {
        let mut line = if self.count == 0 {
            b"\n".to_vec()
        } else {
            b",\n".to_vec()
        };
        serde_json::to_writer(&mut line, item).map_err(io::Error::other)?;
        self.out.write_all(&line)?;
        self.bytes += line.len() as u64;
        self.count += 1;
        Ok(())
    }

    /// Closes the array and flushes; returns `(elements, bytes written)`.
    pub fn finish(mut self) -> io::Result<(u64, u64)> {
        self.out.write_all(b"\n]\n")?;
        self.bytes += 3;
        self.out.flush()?;
        Ok((self.count, self.bytes))
    }
}

/// A JSON array being written to a file.
pub struct JsonArrayFile {
    path: PathBuf,
    writer: JsonArrayWriter<BufWriter<File>>,
}

impl JsonArrayFile {
    /// Creates (or truncates) `path` and opens the array.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: JsonArrayWriter::new(BufWriter::with_capacity(1 << 20, file))?,
        })
    }

    /// Appends one element.
    pub fn push<T: Serialize + ?Sized>(&mut self, item: &T) -> io::Result<()> {
        self.writer.push(item)
    }

    /// Closes the array and reports what was written.
    pub fn finish(self) -> io::Result<FileSummary> {
        let (count, bytes) = self.writer.finish()?;
        Ok(FileSummary {
            path: self.path,
            count,
            bytes,
        })
    }
}

/// Writes a whole slice as a JSON array file.
pub fn write_all<T: Serialize>(path: &Path, items: &[T]) -> io::Result<FileSummary> {
    let mut file = JsonArrayFile::create(path)?;
    for item in items {
        file.push(item)?;
    }
    file.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json_arrays() {
        let mut buf = Vec::new();
        let mut writer = JsonArrayWriter::new(&mut buf).expect("in-memory write");
        writer.push(&1).expect("in-memory write");
        writer.push(&"two").expect("in-memory write");
        let (count, bytes) = writer.finish().expect("in-memory write");
        assert_eq!(count, 2);
        assert_eq!(bytes as usize, buf.len());
        let parsed: serde_json::Value = serde_json::from_slice(&buf).expect("valid JSON");
        assert_eq!(parsed, serde_json::json!([1, "two"]));

        let mut empty = Vec::new();
        JsonArrayWriter::new(&mut empty)
            .and_then(|w| w.finish())
            .expect("in-memory write");
        let parsed: serde_json::Value = serde_json::from_slice(&empty).expect("valid JSON");
        assert_eq!(parsed, serde_json::json!([]));
    }
}
