//! The `@iden3/binfileutils` container: a magic, a version and a table of sections by id.
//!
//! Layout (little-endian): 4-byte magic, u32 version (1), u32 section count, then per section
//! `u32 id, u64 size` and `size` bytes. Sections are indexed by id; duplicates and sections running
//! past the end of the file are rejected.

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use crate::{Error, Result};

/// The only container version.
const VERSION: u32 = 1;

/// Where one section's data lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// Offset of the first data byte.
    pub offset: u64,
    /// Bytes of data.
    pub size: u64,
}

/// An open container with its section table.
#[derive(Debug)]
pub struct BinFile {
    path: PathBuf,
    file: File,
    sections: BTreeMap<u32, Section>,
}

impl BinFile {
    /// Opens `path`, checks the magic and version and indexes the sections.
    pub fn open(path: &Path, magic: &[u8; 4]) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |reason: String| Error::Format {
            path: path.to_path_buf(),
            reason,
        };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = [0u8; 12];
        file.read_exact(&mut head)
            .map_err(|_| format(format!("{len} bytes: too short for a header")))?;
        if &head[..4] != magic {
            return Err(format(format!(
                "magic {:?} is not {:?}",
                String::from_utf8_lossy(&head[..4]),
                String::from_utf8_lossy(magic)
            )));
        }
        let version = u32_at(&head, 4);
        if version != VERSION {
            return Err(format(format!("version {version} is not {VERSION}")));
        }
        let count = u32_at(&head, 8);
        let mut sections = BTreeMap::new();
        let mut offset = 12u64;
        for _ in 0..count {
            let mut entry = [0u8; 12];
            file.read_exact(&mut entry).map_err(|_| {
                format(format!("the section table runs past the end ({len} bytes)"))
            })?;
            let id = u32_at(&entry, 0);
            let size = u64::from_le_bytes(entry[4..12].try_into().expect("8 bytes"));
            let data = offset + 12;
            let end = data
                .checked_add(size)
                .filter(|&end| end <= len)
                .ok_or_else(|| {
                    format(format!(
                        "section {id} ({size} bytes at {data}) runs past the end ({len} bytes)"
                    ))
                })?;
            if sections
                .insert(id, Section { offset: data, size })
                .is_some()
            {
                return Err(format(format!("section {id} appears twice")));
            }
            file.seek(SeekFrom::Start(end)).map_err(io)?;
            offset = end;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            sections,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the section is present.
    pub fn has(&self, id: u32) -> bool {
        self.sections.contains_key(&id)
    }

    /// The section `id`, or a format error naming it.
    pub fn section(&self, id: u32) -> Result<Section> {
        self.sections
            .get(&id)
            .copied()
            .ok_or_else(|| Error::Format {
                path: self.path.clone(),
                reason: format!("section {id} is missing"),
            })
    }

    /// `len` bytes of section `id` from byte `start` of its data.
    pub fn read(&mut self, id: u32, start: u64, len: u64) -> Result<Vec<u8>> {
        let section = self.section(id)?;
        if start.checked_add(len).is_none_or(|end| end > section.size) {
            return Err(Error::Format {
                path: self.path.clone(),
                reason: format!(
                    "section {id} has {} bytes, {len} are needed from {start}",
                    section.size
                ),
            });
        }
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let mut out = vec![
            0u8;
            usize::try_from(len).map_err(|_| Error::Format {
                path: self.path.clone(),
                reason: format!("section {id} is too large for memory"),
            })?
        ];
        self.file
            .seek(SeekFrom::Start(section.offset + start))
            .map_err(io)?;
        self.file.read_exact(&mut out).map_err(io)?;
        Ok(out)
    }

    /// The whole data of section `id`.
    pub fn read_section(&mut self, id: u32) -> Result<Vec<u8>> {
        let size = self.section(id)?.size;
        self.read(id, 0, size)
    }
}

/// Reads a little-endian u32 at `at`.
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Writes a container with `sections` in the given order.
pub fn write(path: &Path, magic: &[u8; 4], sections: &[(u32, &[u8])]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    out.write_all(magic).map_err(io)?;
    out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
    let count = u32::try_from(sections.len()).expect("a handful of sections");
    out.write_all(&count.to_le_bytes()).map_err(io)?;
    for (id, data) in sections {
        out.write_all(&id.to_le_bytes()).map_err(io)?;
        out.write_all(&(data.len() as u64).to_le_bytes())
            .map_err(io)?;
        out.write_all(data).map_err(io)?;
    }
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_bad_tables_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ptau");
        write(&path, b"ptau", &[(1, b"head"), (7, b""), (2, b"points")]).unwrap();
        let mut file = BinFile::open(&path, b"ptau").unwrap();
        assert_eq!(file.read_section(2).unwrap(), b"points");
        assert_eq!(file.read(1, 1, 2).unwrap(), b"ea");
        assert!(file.read(1, 3, 2).is_err());
        assert!(file.has(7) && !file.has(3));
        assert!(matches!(
            BinFile::open(&path, b"zkey"),
            Err(Error::Format { .. })
        ));

        write(&path, b"ptau", &[(1, b"a"), (1, b"b")]).unwrap();
        let err = BinFile::open(&path, b"ptau").unwrap_err();
        assert!(err.to_string().contains("section 1 appears twice"), "{err}");

        write(&path, b"ptau", &[(1, b"abcdef")]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = BinFile::open(&path, b"ptau").unwrap_err();
        assert!(err.to_string().contains("runs past the end"), "{err}");
    }
}
